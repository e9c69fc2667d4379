// The metrics registry and its text format, the strict parser the endpoint
// tests use, and the per-tenant call stats, with injected clock times.

#include "services/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/metrics_calls.h"
#include "services/metrics_sources.h"
#include "services/tenant_call_stats.h"
#include "tests/metrics_text.h"

namespace tenantry::services {
namespace {

using tests::LabelSet;
using tests::ParsedMetrics;
using tests::ParseMetricsText;

// The start of a minute of the Unix clock (1700000040 = 28333334 * 60).
const absl::Time kMinuteStart = absl::FromUnixSeconds(1700000040);

TEST(MetricsFormat, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeLabelValue("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
}

TEST(MetricsFormat, FormatsValues) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(42), "42");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()),
            "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatMetricValue(0.0005), "0.0005");
  EXPECT_EQ(FormatMetricValue(2.5e-7), "2.5e-07");
  EXPECT_EQ(FormatMetricValue(1e300), "1e+300");
}

TEST(MetricsFormat, ChecksNames) {
  EXPECT_TRUE(IsValidMetricName("tenantry_calls_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("has-dash"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("method"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

TEST(MetricsRegistry, RendersCounterFamilyExactly) {
  MetricsRegistry registry;
  CounterFamily* requests = registry.AddCounterFamily(
      "demo_requests_total", "Requests.\nSecond \\ line.", {"path", "code"});
  requests->WithLabels({"/a", "200"})->Increment(3);
  requests->WithLabels({"/b\"\n\\", "500"})->Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP demo_requests_total Requests.\\nSecond \\\\ line.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{path=\"/a\",code=\"200\"} 3\n"
            "demo_requests_total{path=\"/b\\\"\\n\\\\\",code=\"500\"} 1\n");
}

TEST(MetricsRegistry, LabelValuesSurviveParsing) {
  MetricsRegistry registry;
  const std::string awkward = "quote \" backslash \\ newline \n end";
  registry.AddCounterFamily("demo_total", "Demo.", {"value"})
      ->WithLabels({awkward})
      ->Increment(7);
  absl::StatusOr<ParsedMetrics> parsed = ParseMetricsText(registry.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("demo_total", {{"value", awkward}}), 7);
  EXPECT_EQ(parsed->families.at("demo_total").help, "Demo.");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  Histogram* latency =
      registry
          .AddHistogramFamily("demo_seconds", "Latency.", {"method"}, {1, 5})
          ->WithLabels({"Get"});
  for (const double value : {0.5, 1.0, 3.0, 100.0}) latency->Observe(value);
  const std::string text = registry.Render();
  EXPECT_EQ(text,
            "# HELP demo_seconds Latency.\n"
            "# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{method=\"Get\",le=\"1\"} 2\n"
            "demo_seconds_bucket{method=\"Get\",le=\"5\"} 3\n"
            "demo_seconds_bucket{method=\"Get\",le=\"+Inf\"} 4\n"
            "demo_seconds_sum{method=\"Get\"} 104.5\n"
            "demo_seconds_count{method=\"Get\"} 4\n");
  absl::StatusOr<ParsedMetrics> parsed = ParseMetricsText(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
}

TEST(MetricsRegistry, WithLabelsReturnsOneSeriesPerLabelSet) {
  MetricsRegistry registry;
  CounterFamily* family =
      registry.AddCounterFamily("demo_total", "Demo.", {"tenant"});
  EXPECT_EQ(family->WithLabels({"a"}), family->WithLabels({"a"}));
  EXPECT_NE(family->WithLabels({"a"}), family->WithLabels({"b"}));
}

TEST(MetricsRegistry, CollectorsRenderAfterFamilies) {
  MetricsRegistry registry;
  registry.AddCollector([](MetricsWriter& writer) {
    writer.BeginFamily("demo_open", "Open things.", MetricType::kGauge);
    writer.WriteSample("demo_open", {}, 2);
  });
  registry.AddCounterFamily("demo_total", "Demo.", {})
      ->WithLabels({})
      ->Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP demo_total Demo.\n"
            "# TYPE demo_total counter\n"
            "demo_total 1\n"
            "# HELP demo_open Open things.\n"
            "# TYPE demo_open gauge\n"
            "demo_open 2\n");
}

// The parser must reject what a scraper would reject, or the endpoint
// tests could pass on broken text.
TEST(MetricsTextParser, RejectsBrokenText) {
  const std::string header = "# HELP h Latency.\n# TYPE h histogram\n";
  const std::pair<const char*, std::string> broken[] = {
      {"no final line feed", "# HELP c C.\n# TYPE c counter\nc 1"},
      {"sample without TYPE", "c 1\n"},
      {"sample without HELP", "# TYPE c counter\nc 1\n"},
      {"bad escape", "# HELP c C.\n# TYPE c counter\nc{a=\"\\t\"} 1\n"},
      {"unquoted value", "# HELP c C.\n# TYPE c counter\nc{a=b} 1\n"},
      {"duplicate series", "# HELP c C.\n# TYPE c counter\nc 1\nc 2\n"},
      {"negative counter", "# HELP c C.\n# TYPE c counter\nc -1\n"},
      {"bad value", "# HELP c C.\n# TYPE c counter\nc one\n"},
      {"split family",
       "# HELP c C.\n# TYPE c counter\nc{a=\"1\"} 1\n"
       "# HELP g G.\n# TYPE g gauge\ng 1\nc{a=\"2\"} 1\n"},
      {"buckets not cumulative",
       header + "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\n"
                "h_sum 1\nh_count 2\n"},
      {"no +Inf bucket", header + "h_bucket{le=\"1\"} 3\nh_sum 1\nh_count 3\n"},
      {"count differs from +Inf",
       header + "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 4\n"},
      {"bounds not ascending",
       header + "h_bucket{le=\"5\"} 1\nh_bucket{le=\"1\"} 1\n"
                "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
      {"missing sum", header + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n"},
  };
  for (const auto& [problem, text] : broken) {
    EXPECT_FALSE(ParseMetricsText(text).ok()) << problem;
  }
}

TEST(TenantCallStats, LastHourCountsCallsAndErrors) {
  TenantCallStats stats;
  for (int i = 0; i < 3; ++i) stats.Record("acme", true, kMinuteStart);
  for (int i = 0; i < 2; ++i) stats.Record("acme", false, kMinuteStart);
  stats.Record("acme", true, kMinuteStart + absl::Minutes(30));
  stats.Record("other", false, kMinuteStart);

  const TenantCallStats::Counts acme =
      stats.LastHour("acme", kMinuteStart + absl::Minutes(30));
  EXPECT_EQ(acme.calls, 6);
  EXPECT_EQ(acme.errors, 2);
  const TenantCallStats::Counts other =
      stats.LastHour("other", kMinuteStart + absl::Minutes(30));
  EXPECT_EQ(other.calls, 1);
  EXPECT_EQ(other.errors, 1);
  const TenantCallStats::Counts unknown =
      stats.LastHour("nobody", kMinuteStart);
  EXPECT_EQ(unknown.calls, 0);
  EXPECT_EQ(unknown.errors, 0);
}

TEST(TenantCallStats, BucketsExpireAfterAnHour) {
  TenantCallStats stats;
  stats.Record("acme", false, kMinuteStart + absl::Seconds(59));
  // The hour before a time covers its minute and the 59 before it.
  EXPECT_EQ(stats
                .LastHour("acme",
                          kMinuteStart + absl::Minutes(59) + absl::Seconds(59))
                .calls,
            1);
  const TenantCallStats::Counts expired =
      stats.LastHour("acme", kMinuteStart + absl::Minutes(60));
  EXPECT_EQ(expired.calls, 0);
  EXPECT_EQ(expired.errors, 0);
}

TEST(TenantCallStats, RecordAfterAGapClearsOldSlots) {
  TenantCallStats stats;
  for (int i = 0; i < 5; ++i) stats.Record("acme", true, kMinuteStart);
  // A call in between keeps the tenant from being forgotten as idle.
  stats.Record("acme", true, kMinuteStart + absl::Minutes(30));
  // An hour later the first minute's slot counts the new minute, which
  // must not add the 5 calls of the old one.
  stats.Record("acme", true, kMinuteStart + absl::Minutes(60));
  EXPECT_EQ(stats.LastHour("acme", kMinuteStart + absl::Minutes(60)).calls, 2);
  stats.Record("acme", false, kMinuteStart + absl::Minutes(90));
  const TenantCallStats::Counts counts =
      stats.LastHour("acme", kMinuteStart + absl::Minutes(90));
  EXPECT_EQ(counts.calls, 2);
  EXPECT_EQ(counts.errors, 1);
  // Two hours later none of them count.
  EXPECT_EQ(stats.LastHour("acme", kMinuteStart + absl::Minutes(200)).calls, 0);
}

TEST(TenantCallStats, IgnoresCallsOlderThanAnHour) {
  TenantCallStats stats;
  stats.Record("acme", true, kMinuteStart + absl::Minutes(100));
  stats.Record("acme", true, kMinuteStart);
  stats.Record("acme", true, kMinuteStart + absl::Minutes(50));
  EXPECT_EQ(stats.LastHour("acme", kMinuteStart + absl::Minutes(100)).calls, 2);
}

TEST(TenantCallStats, LastHourLeavesOutLaterMinutes) {
  TenantCallStats stats;
  stats.Record("acme", true, kMinuteStart);
  stats.Record("acme", true, kMinuteStart + absl::Minutes(10));
  EXPECT_EQ(stats.LastHour("acme", kMinuteStart + absl::Minutes(5)).calls, 1);
}

TEST(TenantCallStats, BusiestOrdersByCallsThenId) {
  TenantCallStats stats;
  const std::pair<const char*, int> calls[] = {
      {"quiet", 1}, {"busy", 9}, {"middle-b", 4}, {"middle-a", 4}, {"top", 12}};
  for (const auto& [tenant, count] : calls) {
    for (int i = 0; i < count; ++i)
      stats.Record(tenant, i % 3 != 0, kMinuteStart);
  }
  const auto busiest = stats.Busiest(4, kMinuteStart);
  ASSERT_EQ(busiest.size(), 4u);
  EXPECT_EQ(busiest[0].first, "top");
  EXPECT_EQ(busiest[0].second.calls, 12);
  EXPECT_EQ(busiest[0].second.errors, 4);
  EXPECT_EQ(busiest[1].first, "busy");
  EXPECT_EQ(busiest[2].first, "middle-a");
  EXPECT_EQ(busiest[3].first, "middle-b");
  EXPECT_EQ(stats.Busiest(10, kMinuteStart).size(), 5u);
  EXPECT_TRUE(stats.Busiest(0, kMinuteStart).empty());
}

TEST(TenantCallStats, BusiestLeavesOutIdleTenants) {
  TenantCallStats stats;
  stats.Record("old", true, kMinuteStart);
  stats.Record("old", true, kMinuteStart);
  stats.Record("recent", true, kMinuteStart + absl::Minutes(70));
  const auto busiest = stats.Busiest(10, kMinuteStart + absl::Minutes(70));
  ASSERT_EQ(busiest.size(), 1u);
  EXPECT_EQ(busiest[0].first, "recent");
}

TEST(TenantCallStats, ForgetsTenantsIdleForAnHour) {
  TenantCallStats stats;
  for (int i = 0; i < 100; ++i) {
    stats.Record(absl::StrCat("early-", i), true, kMinuteStart);
  }
  EXPECT_EQ(stats.tracked_tenants(), 100u);
  // Each shard drops its idle tenants at its first call in a new minute,
  // and 1000 tenants reach all 16 shards.
  for (int i = 0; i < 1000; ++i) {
    stats.Record(absl::StrCat("late-", i), true,
                 kMinuteStart + absl::Minutes(61));
  }
  EXPECT_EQ(stats.tracked_tenants(), 1000u);
  EXPECT_EQ(stats.LastHour("early-0", kMinuteStart + absl::Minutes(61)).calls,
            0);
}

TEST(TenantCallStats, TracksAtMostMaxTenants) {
  TenantCallStats stats(/*max_tenants=*/160);
  for (int i = 0; i < 5000; ++i) {
    stats.Record(absl::StrCat("tenant-", i), true,
                 kMinuteStart + absl::Seconds(i / 100));
  }
  EXPECT_LE(stats.tracked_tenants(), 160u);
  EXPECT_GT(stats.tracked_tenants(), 0u);
  // The newest tenant displaced an older one rather than being dropped.
  EXPECT_EQ(
      stats.LastHour("tenant-4999", kMinuteStart + absl::Minutes(1)).calls, 1);
}

TEST(TenantCallStats, CountsEveryCallFromManyThreads) {
  TenantCallStats stats;
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        stats.Record(absl::StrCat("tenant-", i % 50), i % 10 != 0,
                     kMinuteStart + absl::Seconds(i % 120));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int64_t calls = 0;
  int64_t errors = 0;
  for (const auto& [tenant, counts] :
       stats.Busiest(100, kMinuteStart + absl::Minutes(2))) {
    calls += counts.calls;
    errors += counts.errors;
  }
  EXPECT_EQ(calls, kThreads * kCallsPerThread);
  EXPECT_EQ(errors, kThreads * kCallsPerThread / 10);
}

TEST(BusiestTenantMetrics, TwoThousandTenantsGiveAtMostTopSeries) {
  TenantCallStats stats;
  const absl::Time now = absl::Now();
  for (int i = 0; i < 2000; ++i) {
    const std::string tenant = absl::StrFormat("tenant-%04d", i);
    // Tenants 1990 to 1999 get the most calls, one error each.
    const int calls = i >= 1990 ? 100 + i - 1990 : 1 + i % 5;
    for (int c = 0; c < calls; ++c) stats.Record(tenant, c != 0, now);
  }
  MetricsRegistry registry;
  AddBusiestTenantMetrics(registry, &stats, 10);
  absl::StatusOr<ParsedMetrics> parsed = ParseMetricsText(registry.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto calls = parsed->Samples("tenantry_tenant_calls_last_hour");
  const auto errors = parsed->Samples("tenantry_tenant_errors_last_hour");
  ASSERT_EQ(calls.size(), 10u);
  ASSERT_EQ(errors.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    const std::string tenant = absl::StrFormat("tenant-%04d", 1999 - i);
    EXPECT_EQ(calls[i].labels, (LabelSet{{"tenant", tenant}}));
    EXPECT_EQ(calls[i].value, 109 - i) << tenant;
    EXPECT_EQ(errors[i].value, 1) << tenant;
  }
}

TEST(BusiestTenantMetrics, ZeroTopWritesEmptyFamilies) {
  TenantCallStats stats;
  stats.Record("acme", true);
  MetricsRegistry registry;
  AddBusiestTenantMetrics(registry, &stats, 0);
  absl::StatusOr<ParsedMetrics> parsed = ParseMetricsText(registry.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->Samples("tenantry_tenant_calls_last_hour").empty());
}

TEST(CallMetrics, CountsCodesErrorsAndLatency) {
  MetricsRegistry registry;
  CallMetrics calls(registry, {"tenantry.v1.ProfileService"});
  const std::string method = "/tenantry.v1.ProfileService/GetProfile";
  calls.Record(method, grpc::StatusCode::OK, absl::Milliseconds(2));
  calls.Record(method, grpc::StatusCode::OK, absl::Milliseconds(30));
  calls.Record(method, grpc::StatusCode::NOT_FOUND, absl::Seconds(3));
  // Neither a method of another service nor an unknown one is counted.
  calls.Record("/grpc.health.v1.Health/Check", grpc::StatusCode::OK,
               absl::Milliseconds(1));
  calls.Record("unknown", grpc::StatusCode::UNIMPLEMENTED,
               absl::Milliseconds(1));
  absl::StatusOr<ParsedMetrics> parsed = ParseMetricsText(registry.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const LabelSet get = {{"service", "tenantry.v1.ProfileService"},
                        {"method", "GetProfile"}};
  LabelSet ok = get;
  ok["code"] = "OK";
  LabelSet not_found = get;
  not_found["code"] = "NOT_FOUND";
  EXPECT_EQ(parsed->Value("tenantry_grpc_server_calls_total", ok), 2);
  EXPECT_EQ(parsed->Value("tenantry_grpc_server_calls_total", not_found), 1);
  EXPECT_EQ(parsed->Value("tenantry_grpc_server_errors_total", get), 1);
  EXPECT_EQ(
      parsed->Value("tenantry_grpc_server_call_duration_seconds_count", get),
      3);
  LabelSet within_50ms = get;
  within_50ms["le"] = "0.05";
  EXPECT_EQ(parsed->Value("tenantry_grpc_server_call_duration_seconds_bucket",
                          within_50ms),
            2);
  EXPECT_NEAR(
      *parsed->Value("tenantry_grpc_server_call_duration_seconds_sum", get),
      3.032, 1e-9);
  // Every method of the service starts with zero series.
  LabelSet list_ok = {{"service", "tenantry.v1.ProfileService"},
                      {"method", "ListProfiles"},
                      {"code", "OK"}};
  EXPECT_EQ(parsed->Value("tenantry_grpc_server_calls_total", list_ok), 0);
  EXPECT_TRUE(parsed->Samples("tenantry_grpc_server_calls_total").size() >= 8u);
  for (const auto& sample :
       parsed->Samples("tenantry_grpc_server_calls_total")) {
    EXPECT_EQ(sample.labels.at("service"), "tenantry.v1.ProfileService");
  }
}

TEST(ProcessMetrics, ReadsFromProc) {
  MetricsRegistry registry;
  AddProcessMetrics(registry);
  absl::StatusOr<ParsedMetrics> parsed = ParseMetricsText(registry.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const std::optional<double> resident =
      parsed->Value("tenantry_process_resident_memory_bytes");
  ASSERT_TRUE(resident.has_value());
  EXPECT_GT(*resident, 1 << 20);
  const std::optional<double> fds = parsed->Value("tenantry_process_open_fds");
  ASSERT_TRUE(fds.has_value());
  // At least stdin, stdout and stderr.
  EXPECT_GE(*fds, 3);
  const std::optional<double> start =
      parsed->Value("tenantry_process_start_time_seconds");
  ASSERT_TRUE(start.has_value());
  const double now = absl::ToUnixSeconds(absl::Now());
  EXPECT_LE(*start, now + 1);
  EXPECT_GT(*start, now - 3600);
  EXPECT_TRUE(parsed->Value("tenantry_process_cpu_seconds_total").has_value());
}

}  // namespace
}  // namespace tenantry::services
