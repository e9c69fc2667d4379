#include "services/metrics_http.h"

#include <errno.h>
#include <httplib.h>
#include <string.h>
#include <sys/socket.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace tenantry::services {
namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

// Splits host:port or [host]:port, or returns INVALID_ARGUMENT naming the
// flag.
absl::StatusOr<HostPort> ParseAddress(absl::string_view address) {
  const auto invalid = [address](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics_listen=", address, " is invalid because ", reason,
        ". Use host:port with a port from 0 to 65535, for example "
        "127.0.0.1:9464 or [::1]:9464"));
  };
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) {
      return invalid("the ] after the host is missing");
    }
    host = address.substr(1, close - 1);
    const absl::string_view rest = address.substr(close + 1);
    if (!absl::StartsWith(rest, ":")) return invalid("the port is missing");
    port = rest.substr(1);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) return invalid("the port is missing");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return invalid("an IPv6 host must be in brackets");
    }
  }
  if (host.empty()) return invalid("the host is missing");
  if (port.empty()) return invalid("the port is missing");
  for (const char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return invalid(absl::StrCat("port ", port, " is not a number"));
    }
  }
  HostPort parsed;
  parsed.host = std::string(host);
  if (!absl::SimpleAtoi(port, &parsed.port) || parsed.port > 65535) {
    return invalid(absl::StrCat("port ", port, " is out of range"));
  }
  return parsed;
}

// cpp-httplib 0.11 sets only SO_REUSEPORT by default, which lets a second
// socket bind a port that gRPC (which also sets it) or another server
// already listens on. SO_REUSEADDR alone still allows a restart while old
// connections are in TIME_WAIT, but fails on a port in use.
void SetSocketOptions(int socket) {
  const int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

MetricsHttpServer::MetricsHttpServer()
    : server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, std::function<std::string()> render) {
  absl::StatusOr<HostPort> parsed = ParseAddress(address);
  if (!parsed.ok()) return parsed.status();

  std::unique_ptr<MetricsHttpServer> metrics(new MetricsHttpServer());
  httplib::Server& server = *metrics->server_;
  server.new_task_queue = [] {
    return new httplib::ThreadPool(kWorkerThreads);
  };
  server.set_socket_options(SetSocketOptions);
  server.set_keep_alive_max_count(1);
  server.set_keep_alive_timeout(kIdleTimeoutSeconds);
  server.set_read_timeout(kReadTimeoutSeconds);
  server.set_write_timeout(kReadTimeoutSeconds);
  server.Get("/metrics",
             [render = std::move(render)](const httplib::Request&,
                                          httplib::Response& response) {
               response.set_content(render(), kContentType);
             });
  server.set_error_handler(
      [](const httplib::Request&, httplib::Response& response) {
        if (response.status == 404) {
          response.set_content("not found; the metrics are at /metrics\n",
                               "text/plain; charset=utf-8");
        }
      });

  // The error of the failed bind() or listen(), if that is what failed.
  errno = 0;
  const int port =
      parsed->port == 0
          ? server.bind_to_any_port(parsed->host)
          : (server.bind_to_port(parsed->host, parsed->port) ? parsed->port
                                                             : -1);
  if (port <= 0) {
    const int error_number = errno;
    return absl::UnavailableError(absl::StrCat(
        "failed to listen on --metrics_listen=", address,
        error_number != 0 ? absl::StrCat(" (", strerror(error_number), ")")
                          : std::string(),
        "; is the port in use, or is ", parsed->host,
        " not an address of this machine? Choose another address, or "
        "leave the flag empty to turn the metrics endpoint off"));
  }
  metrics->port_ = port;

  MetricsHttpServer* self = metrics.get();
  metrics->listener_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->listener_done_.Notify();
  });
  // httplib::Server::stop() does nothing until the listener thread has
  // marked the server running, so Stop() must not run before that.
  while (!self->server_->is_running() &&
         !self->listener_done_.HasBeenNotified()) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (self->listener_done_.HasBeenNotified()) {
    metrics->listener_.join();
    absl::MutexLock lock(&metrics->stop_mutex_);
    metrics->stopped_ = true;
    return absl::UnavailableError(
        absl::StrCat("failed to serve on --metrics_listen=", address,
                     ": the HTTP server stopped at once"));
  }
  return metrics;
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::Stop() {
  absl::MutexLock lock(&stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  // Without a listener thread, as after a failed bind, nothing runs.
  if (!listener_.joinable()) return;
  server_->stop();
  listener_.join();
}

}  // namespace tenantry::services
