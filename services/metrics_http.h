#ifndef TENANTRY_SERVICES_METRICS_HTTP_H_
#define TENANTRY_SERVICES_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace httplib {
class Server;
}

namespace tenantry::services {

// Serves `GET /metrics` over plain HTTP (cpp-httplib) on threads of its
// own, with the content type of the Prometheus text format 0.0.4. Every
// other path gets 404. Each connection serves one request and is then
// closed, so that no idle connection holds up Stop(). Thread-safe.
class MetricsHttpServer {
 public:
  // The content type of the responses to GET /metrics.
  static constexpr char kContentType[] =
      "text/plain; version=0.0.4; charset=utf-8";

  // Listens on `address` (host:port, [IPv6]:port; port 0 picks a free port)
  // and serves the text that `render` returns at each request. Returns
  // INVALID_ARGUMENT for an address that is not host:port and UNAVAILABLE
  // if it cannot listen there; both messages name --metrics_listen.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& address, std::function<std::string()> render);

  // Stops the server, as Stop() does.
  ~MetricsHttpServer();

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port it listens on.
  int port() const { return port_; }

  // Closes the listening socket and waits for the threads. A request in
  // progress finishes first. A client that connected but sends nothing
  // delays the return by up to kIdleTimeoutSeconds, and one that stops
  // halfway through its request by up to kReadTimeoutSeconds. Calling it
  // again does nothing.
  void Stop();

  // How long a new connection may stay silent before it is closed.
  static constexpr int kIdleTimeoutSeconds = 1;
  // How long one read or write of a request or response may wait.
  static constexpr int kReadTimeoutSeconds = 2;
  // Threads that serve requests. More than one, so that a slow client
  // does not hold up the next scrape.
  static constexpr int kWorkerThreads = 2;

 private:
  MetricsHttpServer();

  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  // Notified when the listener thread's listen call has returned.
  absl::Notification listener_done_;
  int port_ = 0;
  absl::Mutex stop_mutex_;
  bool stopped_ ABSL_GUARDED_BY(stop_mutex_) = false;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_METRICS_HTTP_H_
