#include "tools/loadgen/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/loadgen/manifest.h"

namespace tenantry::loadgen {
namespace {

std::string DistributionName(Distribution distribution) {
  return distribution == Distribution::kZipf ? "zipf" : "uniform";
}

std::string StatusCountsText(const LatencySummary& latency, bool failed_only) {
  std::vector<std::string> parts;
  for (const auto& [code, count] : latency.status_counts) {
    if (failed_only && code == "OK") continue;
    parts.push_back(absl::StrCat(code, "=", count));
  }
  return absl::StrJoin(parts, " ");
}

std::string StopText(const RunOptions& options, const RunResult& result) {
  switch (result.stop_reason) {
    case StopReason::kCalls:
      return "stopped after --calls";
    case StopReason::kDuration:
      return "stopped after --duration";
    case StopReason::kMaxDuration:
      return absl::StrCat("stopped at --max_duration=",
                          absl::FormatDuration(options.max_duration));
    case StopReason::kSpareUsers:
      return "stopped when the spare users ran out";
  }
  return "";
}

// Returns the OK calls per second of the measured window.
double OkThroughput(const RunResult& result) {
  const auto ok = result.latency.status_counts.find("OK");
  const int64_t ok_calls =
      ok == result.latency.status_counts.end() ? 0 : ok->second;
  if (ok_calls == result.latency.calls) return result.throughput;
  return result.seconds > 0 ? ok_calls / result.seconds : 0;
}

}  // namespace

std::string FormatTable(const RunOptions& options, const RunResult& result) {
  const LatencySummary& latency = result.latency;
  std::string table;
  const auto row = [&table](absl::string_view name, absl::string_view value) {
    absl::StrAppend(&table, absl::StrFormat("%-12s %s\n", name, value));
  };

  row("method", MethodName(options.method));
  if (!options.label.empty()) row("label", options.label);
  row("target", options.target);
  row("connections", absl::StrCat(options.connections));
  row("concurrency", absl::StrCat(options.concurrency, " (closed loop)"));
  if (IsTenantScoped(options.method)) {
    row("tenants", absl::StrCat(result.tenants, " (",
                                DistributionName(options.distribution),
                                options.distribution == Distribution::kZipf
                                    ? absl::StrCat(", s=", options.zipf_s)
                                    : "",
                                ")"));
  }

  row("calls", absl::StrFormat("%d in %.3f s, %s", latency.calls,
                               result.seconds, StopText(options, result)));
  const double ok_throughput = OkThroughput(result);
  // Failed calls, such as ones refused by a stopped server, can be much
  // faster than real ones, so the rate of OK calls is shown beside them.
  row("throughput",
      ok_throughput == result.throughput
          ? absl::StrFormat("%.1f calls/s", result.throughput)
          : absl::StrFormat("%.1f calls/s, of which %.1f OK calls/s",
                            result.throughput, ok_throughput));
  row(latency.exact ? "latency ms" : "latency ms~",
      absl::StrFormat("p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f",
                      latency.p50_ms, latency.p90_ms, latency.p99_ms,
                      latency.p999_ms, latency.max_ms));
  if (!latency.exact) {
    row("", "~ from a histogram within 0.4%: too many calls to keep each");
  }
  row("status", latency.status_counts.empty()
                    ? std::string("no calls")
                    : StatusCountsText(latency, false));
  return table;
}

std::string FormatJson(const RunOptions& options, const RunResult& result) {
  const LatencySummary& latency = result.latency;
  std::vector<std::string> counts;
  for (const auto& [code, count] : latency.status_counts) {
    counts.push_back(absl::StrCat(JsonString(code), ": ", count));
  }
  std::vector<std::string> fields = {
      absl::StrCat("\"label\": ", JsonString(options.label)),
      absl::StrCat("\"method\": ", JsonString(MethodName(options.method))),
      absl::StrCat("\"target\": ", JsonString(options.target)),
      absl::StrCat("\"connections\": ", options.connections),
      absl::StrCat("\"concurrency\": ", options.concurrency),
      absl::StrCat("\"tenants\": ", result.tenants),
      absl::StrCat("\"distribution\": ",
                   JsonString(DistributionName(options.distribution))),
      absl::StrFormat("\"zipf_s\": %.6f", options.zipf_s),
      absl::StrCat("\"calls\": ", latency.calls),
      absl::StrFormat("\"seconds\": %.6f", result.seconds),
      absl::StrFormat("\"throughput\": %.3f", result.throughput),
      absl::StrFormat("\"ok_throughput\": %.3f", OkThroughput(result)),
      absl::StrFormat(
          "\"latency_ms\": {\"p50\": %.6f, \"p90\": %.6f, \"p99\": %.6f, "
          "\"p999\": %.6f, \"max\": %.6f}",
          latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.p999_ms,
          latency.max_ms),
      absl::StrCat("\"latency_exact\": ", latency.exact ? "true" : "false"),
      absl::StrCat("\"status_counts\": {", absl::StrJoin(counts, ", "), "}"),
      absl::StrCat("\"stop_reason\": ",
                   JsonString(StopReasonName(result.stop_reason))),
      absl::StrCat("\"warmup_calls\": ", result.warmup_calls),
      absl::StrCat("\"warmup_failures\": ", result.warmup_failures),
  };
  return absl::StrCat("{", absl::StrJoin(fields, ",\n "), "}\n");
}

std::vector<std::string> FormatWarnings(const RunOptions& options,
                                        const RunResult& result) {
  std::vector<std::string> lines;
  const LatencySummary& latency = result.latency;
  const auto ok = latency.status_counts.find("OK");
  const int64_t ok_calls = ok == latency.status_counts.end() ? 0 : ok->second;
  const int64_t failed = latency.calls - ok_calls;
  if (failed > 0) {
    lines.push_back(
        absl::StrCat("WARNING: ", failed, " of ", latency.calls,
                     " calls failed: ", StatusCountsText(latency, true)));
    for (const auto& [code, message] : latency.first_errors) {
      lines.push_back(absl::StrCat("  first ", code, ": ",
                                   message.empty() ? "(no message)" : message));
    }
  }
  if (latency.calls == 0) {
    lines.push_back("WARNING: no call was recorded");
  }
  // With both --calls and --duration, whichever comes first ends the run,
  // so stopping at --duration is not a warning.
  if (options.calls > 0 && latency.calls < options.calls &&
      result.stop_reason != StopReason::kDuration) {
    std::string cause;
    if (result.stop_reason == StopReason::kSpareUsers) {
      cause = absl::StrCat("the ", result.spare_users,
                           " spare users ran out; raise --spare_users");
    } else {
      cause = absl::StrCat(
          "--max_duration=", absl::FormatDuration(options.max_duration),
          " passed; raise it or lower --calls");
    }
    lines.push_back(absl::StrCat("WARNING: the run stopped after ",
                                 latency.calls, " of ", options.calls,
                                 " requested calls because ", cause));
  } else if (options.calls == 0 &&
             result.stop_reason != StopReason::kDuration) {
    lines.push_back(absl::StrCat(
        "WARNING: the run stopped before --duration=",
        absl::FormatDuration(options.duration), " ended because ",
        result.stop_reason == StopReason::kSpareUsers
            ? absl::StrCat("the ", result.spare_users,
                           " spare users ran out; raise --spare_users")
            : absl::StrCat(
                  "--max_duration=", absl::FormatDuration(options.max_duration),
                  " passed; raise it")));
  }
  if (result.cut_off_calls > 0) {
    lines.push_back(absl::StrCat("WARNING: --max_duration cut off ",
                                 result.cut_off_calls,
                                 " calls in flight; they are not recorded"));
  }
  return lines;
}

}  // namespace tenantry::loadgen
