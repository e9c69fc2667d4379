// The Prometheus endpoint of a real server on 127.0.0.1: known calls
// through gRPC, then GET /metrics over HTTP, parsed by a strict parser.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/metrics_http.h"
#include "storage/ids.h"
#include "tests/metrics_test_server.h"
#include "tests/metrics_text.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::Document;
using tenantry::v1::GetProfileRequest;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::Profile;
using tenantry::v1::Tenant;

constexpr char kCalls[] = "tenantry_grpc_server_calls_total";
constexpr char kErrors[] = "tenantry_grpc_server_errors_total";
constexpr char kLatency[] = "tenantry_grpc_server_call_duration_seconds";

// How long a test waits for the server to record calls that have ended.
// The server records a call after it sends the status, so a client may
// scrape before the last call is counted.
constexpr absl::Duration kRecordWait = absl::Seconds(10);

absl::StatusOr<std::unique_ptr<MetricsTestServer>> StartWithMetrics(
    services::ServerOptions options = {}) {
  options.metrics_listen_address = "127.0.0.1:0";
  return MetricsTestServer::Start(std::move(options));
}

void CreateTenant(MetricsTestServer& server, const std::string& tenant_id) {
  tenantry::v1::CreateTenantRequest request;
  request.set_tenant_id(tenant_id);
  request.mutable_tenant()->set_display_name(tenant_id);
  Tenant tenant;
  const grpc::Status status = server.tenants().CreateTenant(
      TestServer::Context().get(), request, &tenant);
  EXPECT_TRUE(status.ok()) << "CreateTenant " << tenant_id << ": "
                           << status.error_message();
}

void CreateDocument(MetricsTestServer& server, const std::string& tenant_id,
                    const std::string& title) {
  CreateDocumentRequest request;
  request.set_parent(TenantName(tenant_id));
  request.mutable_document()->set_title(title);
  request.mutable_document()->set_content("x");
  Document document;
  const grpc::Status status = server.documents().CreateDocument(
      TestServer::TenantContext(tenant_id).get(), request, &document);
  EXPECT_TRUE(status.ok()) << "CreateDocument: " << status.error_message();
}

// Returns the body of GET `path`, or an error naming the HTTP failure.
absl::StatusOr<httplib::Result> Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Result result = client.Get(path.c_str());
  if (!result) {
    return absl::UnavailableError(absl::StrCat(
        "GET ", path, " failed: ", httplib::to_string(result.error())));
  }
  return result;
}

absl::StatusOr<ParsedMetrics> Scrape(const MetricsTestServer& server) {
  absl::StatusOr<httplib::Result> result =
      Get(server.metrics_port(), "/metrics");
  if (!result.ok()) return result.status();
  if ((*result)->status != 200) {
    return absl::InternalError(
        absl::StrCat("GET /metrics returned HTTP ", (*result)->status));
  }
  return ParseMetricsText((*result)->body);
}

// Scrapes until `done` holds for the parsed text or kRecordWait passes,
// and returns the last text parsed.
absl::StatusOr<ParsedMetrics> ScrapeUntil(
    const MetricsTestServer& server,
    const std::function<bool(const ParsedMetrics&)>& done) {
  const absl::Time give_up = absl::Now() + kRecordWait;
  while (true) {
    absl::StatusOr<ParsedMetrics> parsed = Scrape(server);
    if (!parsed.ok() || done(*parsed) || absl::Now() > give_up) return parsed;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

double ValueOr0(const ParsedMetrics& parsed, const std::string& name,
                const LabelSet& labels = {}) {
  return parsed.Value(name, labels).value_or(0);
}

LabelSet Method(const std::string& service, const std::string& method) {
  return {{"service", "tenantry.v1." + service}, {"method", method}};
}

LabelSet MethodCode(const std::string& service, const std::string& method,
                    const std::string& code) {
  LabelSet labels = Method(service, method);
  labels["code"] = code;
  return labels;
}

// Sums tenantry_grpc_server_calls_total of one method over all codes.
double CallsOfMethod(const ParsedMetrics& parsed, const LabelSet& method) {
  double total = 0;
  for (const MetricSample& sample : parsed.Samples(kCalls)) {
    LabelSet labels = sample.labels;
    labels.erase("code");
    if (labels == method) total += sample.value;
  }
  return total;
}

grpc::StatusCode ListProfiles(MetricsTestServer& server,
                              const std::string& tenant, int page_size = 10) {
  ListProfilesRequest request;
  request.set_parent(TenantName(tenant));
  request.set_page_size(page_size);
  ListProfilesResponse response;
  return server.profiles()
      .ListProfiles(TestServer::TenantContext(tenant).get(), request, &response)
      .error_code();
}

TEST(MetricsEndpoint, CountsCallsPerMethodAndCode) {
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      StartWithMetrics();
  ASSERT_TRUE(started.ok()) << started.status();
  MetricsTestServer& server = **started;
  ASSERT_GT(server.metrics_port(), 0);
  absl::StatusOr<ParsedMetrics> before = Scrape(server);
  ASSERT_TRUE(before.ok()) << before.status();

  CreateTenant(server, "acme");
  for (int i = 0; i < 3; ++i) {
    GetTenantRequest request;
    request.set_name("tenants/missing");
    Tenant tenant;
    EXPECT_EQ(server.tenants()
                  .GetTenant(TestServer::Context().get(), request, &tenant)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ListProfiles(server, "acme"), grpc::StatusCode::OK);
  }
  EXPECT_EQ(ListProfiles(server, "acme", /*page_size=*/-1),
            grpc::StatusCode::INVALID_ARGUMENT);
  for (int i = 0; i < 2; ++i) {
    GetProfileRequest request;
    request.set_name(
        absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()));
    Profile profile;
    EXPECT_EQ(server.profiles()
                  .GetProfile(TestServer::TenantContext("acme").get(), request,
                              &profile)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // An unregistered tenant: counted per method, never as a tenant.
  EXPECT_EQ(ListProfiles(server, "ghost"), grpc::StatusCode::NOT_FOUND);

  const LabelSet list = Method("ProfileService", "ListProfiles");
  const LabelSet get_profile = Method("ProfileService", "GetProfile");
  const LabelSet get_tenant = Method("TenantService", "GetTenant");
  absl::StatusOr<ParsedMetrics> after =
      ScrapeUntil(server, [&](const ParsedMetrics& parsed) {
        return CallsOfMethod(parsed, list) - CallsOfMethod(*before, list) >=
                   6 &&
               CallsOfMethod(parsed, get_profile) -
                       CallsOfMethod(*before, get_profile) >=
                   2 &&
               CallsOfMethod(parsed, get_tenant) -
                       CallsOfMethod(*before, get_tenant) >=
                   3;
      });
  ASSERT_TRUE(after.ok()) << after.status();
  const auto delta = [&](const std::string& name, const LabelSet& labels) {
    return ValueOr0(*after, name, labels) - ValueOr0(*before, name, labels);
  };

  EXPECT_EQ(delta(kCalls, MethodCode("TenantService", "CreateTenant", "OK")),
            1);
  EXPECT_EQ(
      delta(kCalls, MethodCode("TenantService", "GetTenant", "NOT_FOUND")), 3);
  EXPECT_EQ(delta(kErrors, get_tenant), 3);
  EXPECT_EQ(delta(kCalls, MethodCode("ProfileService", "ListProfiles", "OK")),
            4);
  EXPECT_EQ(delta(kCalls, MethodCode("ProfileService", "ListProfiles",
                                     "INVALID_ARGUMENT")),
            1);
  EXPECT_EQ(
      delta(kCalls, MethodCode("ProfileService", "ListProfiles", "NOT_FOUND")),
      1);
  EXPECT_EQ(delta(kErrors, list), 2);
  EXPECT_EQ(
      delta(kCalls, MethodCode("ProfileService", "GetProfile", "NOT_FOUND")),
      2);
  EXPECT_EQ(delta(kCalls, MethodCode("ProfileService", "GetProfile", "OK")), 0);

  // The histogram counts the same calls as the counter; the parser has
  // checked that its buckets are cumulative and end at _count.
  for (const LabelSet& method : {list, get_profile, get_tenant}) {
    EXPECT_EQ(ValueOr0(*after, absl::StrCat(kLatency, "_count"), method),
              CallsOfMethod(*after, method))
        << method.at("method");
  }
  EXPECT_EQ(after->families.at(kLatency).type, "histogram");
  EXPECT_EQ(after->families.at(kCalls).type, "counter");

  // Per tenant: the 7 calls that resolved acme, 3 of them errors.
  EXPECT_EQ(
      ValueOr0(*after, "tenantry_tenant_calls_last_hour", {{"tenant", "acme"}}),
      7);
  EXPECT_EQ(ValueOr0(*after, "tenantry_tenant_errors_last_hour",
                     {{"tenant", "acme"}}),
            3);
  EXPECT_FALSE(
      after->Value("tenantry_tenant_calls_last_hour", {{"tenant", "ghost"}})
          .has_value());
}

TEST(MetricsEndpoint, StorageSeriesMove) {
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      StartWithMetrics();
  ASSERT_TRUE(started.ok()) << started.status();
  MetricsTestServer& server = **started;
  absl::StatusOr<ParsedMetrics> before = Scrape(server);
  ASSERT_TRUE(before.ok()) << before.status();
  for (const char* name :
       {"tenantry_tenant_databases_open", "tenantry_tenant_cache_hits_total",
        "tenantry_tenant_cache_misses_total",
        "tenantry_tenant_cache_evictions_total",
        "tenantry_group_commit_writes_count", "tenantry_tenant_writes_queued",
        "tenantry_shared_store_connections_open",
        "tenantry_process_resident_memory_bytes", "tenantry_process_open_fds",
        "tenantry_process_start_time_seconds"}) {
    EXPECT_TRUE(before->Value(name).has_value()) << name;
  }

  CreateTenant(server, "writer");
  constexpr int kDocuments = 5;
  for (int i = 0; i < kDocuments; ++i) {
    CreateDocument(server, "writer", absl::StrCat("document ", i));
  }
  EXPECT_EQ(ListProfiles(server, "writer"), grpc::StatusCode::OK);

  absl::StatusOr<ParsedMetrics> after = Scrape(server);
  ASSERT_TRUE(after.ok()) << after.status();
  const auto delta = [&](const std::string& name) {
    return ValueOr0(*after, name) - ValueOr0(*before, name);
  };
  // Each document was a write of its own or shared a group commit.
  EXPECT_GE(delta("tenantry_group_commit_writes_sum"), kDocuments);
  EXPECT_GE(delta("tenantry_group_commit_writes_count"), 1);
  EXPECT_LE(delta("tenantry_group_commit_writes_count"),
            delta("tenantry_group_commit_writes_sum"));
  EXPECT_EQ(ValueOr0(*after, "tenantry_tenant_writes_queued"), 0);
  EXPECT_GE(delta("tenantry_tenant_cache_misses_total"), 1);
  EXPECT_GE(delta("tenantry_tenant_cache_hits_total"), kDocuments);
  EXPECT_GE(ValueOr0(*after, "tenantry_tenant_databases_open"), 1);
  EXPECT_EQ(ValueOr0(*after, "tenantry_tenant_cache_capacity"),
            static_cast<double>(services::ServerOptions().tenant_cache_size));
  // The SQLite shared store has one connection.
  EXPECT_EQ(ValueOr0(*after, "tenantry_shared_store_connections_open"), 1);
  EXPECT_EQ(ValueOr0(*after, "tenantry_shared_store_connections_max"), 1);
}

// 2000 tenants each make one call and a few make more; only the
// --metrics_top_tenants busiest get series of their own.
TEST(MetricsEndpoint, TopTenantSeriesStayBounded) {
  services::ServerOptions options;
  options.metrics_top_tenants = 5;
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      StartWithMetrics(options);
  ASSERT_TRUE(started.ok()) << started.status();
  MetricsTestServer& server = **started;
  constexpr int kTenants = 2000;
  std::vector<std::string> tenants;
  for (int i = 0; i < kTenants; ++i) {
    tenants.push_back(absl::StrFormat("t%04d", i));
  }
  // Four clients at once, to keep the test short on a small machine.
  constexpr int kClients = 4;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&server, &tenants, c] {
      for (size_t i = c; i < tenants.size(); i += kClients) {
        CreateTenant(server, tenants[i]);
        EXPECT_EQ(ListProfiles(server, tenants[i]), grpc::StatusCode::OK);
      }
    });
  }
  for (std::thread& client : clients) client.join();
  // t0000 to t0004 get 10 to 6 more calls, so that they are the busiest.
  for (int i = 0; i < 5; ++i) {
    for (int c = 0; c < 10 - i; ++c) {
      EXPECT_EQ(ListProfiles(server, tenants[i]), grpc::StatusCode::OK);
    }
  }

  // The server records a call after its status is sent, so the last calls
  // can reach the counters a little after the client has its responses.
  absl::StatusOr<ParsedMetrics> after =
      ScrapeUntil(server, [](const ParsedMetrics& parsed) {
        return parsed.Value("tenantry_tenant_calls_last_hour",
                            {{"tenant", "t0004"}}) == 7.0 &&
               ValueOr0(parsed, kCalls,
                        MethodCode("ProfileService", "ListProfiles", "OK")) ==
                   kTenants + 40;
      });
  ASSERT_TRUE(after.ok()) << after.status();
  const std::vector<MetricSample> calls =
      after->Samples("tenantry_tenant_calls_last_hour");
  ASSERT_EQ(calls.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(calls[i].labels.at("tenant"), tenants[i]);
    EXPECT_EQ(calls[i].value, 11 - i) << tenants[i];
  }
  EXPECT_EQ(after->Samples("tenantry_tenant_errors_last_hour").size(), 5u);
  // 2000 tenants do not fit into the default cache of 64. A database that a
  // call still holds when it is evicted comes back into the cache without a
  // miss, so the count can fall a little short of kTenants - 64.
  EXPECT_GE(ValueOr0(*after, "tenantry_tenant_cache_evictions_total"),
            kTenants / 2);
  EXPECT_EQ(ValueOr0(*after, kCalls,
                     MethodCode("ProfileService", "ListProfiles", "OK")),
            kTenants + 40);
}

TEST(MetricsEndpoint, ServesOnlyMetricsPath) {
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      StartWithMetrics();
  ASSERT_TRUE(started.ok()) << started.status();
  const int port = (*started)->metrics_port();

  absl::StatusOr<httplib::Result> metrics = Get(port, "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ((*metrics)->status, 200);
  EXPECT_EQ((*metrics)->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  for (const char* path : {"/", "/metrics/", "/other", "/metricsx"}) {
    absl::StatusOr<httplib::Result> other = Get(port, path);
    ASSERT_TRUE(other.ok()) << other.status();
    EXPECT_EQ((*other)->status, 404) << path;
  }
}

TEST(MetricsEndpoint, OffByDefault) {
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      MetricsTestServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ((*started)->metrics_port(), 0);
}

TEST(MetricsEndpoint, InvalidAddressStopsTheStart) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http",
                              ":9464", "::1:9464"}) {
    services::ServerOptions options;
    options.metrics_listen_address = address;
    absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
        MetricsTestServer::Start(options);
    ASSERT_FALSE(started.ok()) << address;
    EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument)
        << address;
    EXPECT_TRUE(absl::StrContains(started.status().message(),
                                  absl::StrCat("--metrics_listen=", address)))
        << started.status();
  }
}

// Returns a socket listening on a free 127.0.0.1 port without
// SO_REUSEPORT, and sets `port`.
int ListenOnFreePort(int* port) {
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
          0 ||
      listen(socket_fd, 1) != 0) {
    close(socket_fd);
    return -1;
  }
  socklen_t length = sizeof(address);
  getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length);
  *port = ntohs(address.sin_port);
  return socket_fd;
}

TEST(MetricsEndpoint, PortInUseStopsTheStart) {
  int port = 0;
  const int listener = ListenOnFreePort(&port);
  ASSERT_GE(listener, 0);
  services::ServerOptions options;
  options.metrics_listen_address = absl::StrCat("127.0.0.1:", port);
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      MetricsTestServer::Start(options);
  close(listener);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(started.status().message(),
                                "--metrics_listen=127.0.0.1:"))
      << started.status();
}

// gRPC listens with SO_REUSEPORT, which would let a second socket with
// that option share its port.
TEST(MetricsEndpoint, GrpcPortOfAnotherServerIsInUse) {
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> first =
      MetricsTestServer::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  services::ServerOptions options;
  options.metrics_listen_address =
      absl::StrCat("127.0.0.1:", (*first)->server().port());
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> second =
      MetricsTestServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsHttpServer, StopsWithAnIdleConnectionOpen) {
  absl::StatusOr<std::unique_ptr<services::MetricsHttpServer>> server =
      services::MetricsHttpServer::Start("127.0.0.1:0", [] { return "x 1\n"; });
  ASSERT_TRUE(server.ok()) << server.status();
  // A client that connects and sends nothing.
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons((*server)->port());
  ASSERT_EQ(
      connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
      0);
  // Time for the server to accept the connection and hand it to a worker,
  // which then waits for a request that never comes.
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time stop_start = absl::Now();
  (*server)->Stop();
  const absl::Duration stop_time = absl::Now() - stop_start;
  // The worker gives up on the silent connection after the idle timeout; a
  // generous margin keeps a loaded machine from failing the test.
  EXPECT_LT(stop_time,
            absl::Seconds(services::MetricsHttpServer::kIdleTimeoutSeconds +
                          services::MetricsHttpServer::kReadTimeoutSeconds + 5))
      << "Stop() waited " << stop_time;
  // The listening socket is closed: a new connection is refused.
  const int late = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_NE(
      connect(late, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  close(late);
  close(client);
  (*server)->Stop();
}

}  // namespace
}  // namespace tenantry::tests
