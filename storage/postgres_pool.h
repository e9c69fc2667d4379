#ifndef TENANTRY_STORAGE_POSTGRES_POOL_H_
#define TENANTRY_STORAGE_POSTGRES_POOL_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tenantry::storage {

// Converts an exception from libpqxx into a status whose code comes from
// StatusCodeForSqlState, or UNAVAILABLE for a broken connection. `context`
// starts the message and `password` is removed from it. An UNAVAILABLE
// message ends by saying when to retry the call.
absl::Status PostgresError(const std::exception& error,
                           absl::string_view context,
                           absl::string_view password);

// Returns the password in a `postgresql://user:password@host/db` URL, or
// "" if it has none.
std::string PasswordOfUrl(absl::string_view url);

// Returns `url` with its password replaced by "***", for logs.
std::string RedactUrl(absl::string_view url);

// A bounded pool of PostgreSQL connections, each with the same prepared
// statements. Thread-safe. A connection that broke is closed when its
// lease ends, and so is an idle connection that the server closed, when
// Acquire() finds it. Acquire() then opens a new one, so the pool heals
// after a server restart without a restart of its own.
class PostgresPool {
 public:
  struct Options {
    // A libpq URI, for example postgresql://user:pass@127.0.0.1:5432/db.
    std::string url;
    // Maximum number of open connections.
    size_t size = 4;
    // How long Acquire() waits for a free connection.
    absl::Duration acquire_timeout = absl::Seconds(5);
    // Seconds libpq waits for a new connection to be established. NOTE:
    // the pool does not know the call's deadline, so a call waits this long
    // even past its deadline when the host drops packets instead of
    // refusing the connection. Only refused connections are tested.
    int connect_timeout_seconds = 5;
    // Statements prepared on every connection: name and SQL.
    std::vector<std::pair<std::string, std::string>> statements;
  };

  // Exclusive use of one connection until destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    // NOTE: the call's deadline does not bound a query on this connection.
    // If the server stops responding without closing the socket, as a
    // frozen host or a network partition does, the query waits until
    // tcp_user_timeout (10 s) or the keepalives give up; that path is not
    // tested.
    pqxx::connection& connection() { return *connection_; }

    // Closes the connection instead of returning it to the pool, after an
    // error that may have left it unusable.
    void Discard() { connection_.reset(); }

   private:
    friend class PostgresPool;
    Lease(PostgresPool* pool, std::unique_ptr<pqxx::connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}

    PostgresPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
  };

  explicit PostgresPool(Options options);
  ~PostgresPool();

  // Returns an idle connection that is still open, opening one if the pool
  // is below its size. Returns UNAVAILABLE if no connection frees up within
  // the acquire timeout or a new connection cannot be opened.
  absl::StatusOr<Lease> Acquire();

  const Options& options() const { return options_; }

  // Connections open now, idle or leased.
  size_t open_connections() const;

  struct Stats {
    // Connections open now, idle or leased; the ones being opened count.
    int64_t open = 0;
    // Connections leased now.
    int64_t in_use = 0;
    // Acquire() calls that found every connection leased and waited.
    int64_t waits = 0;
    // Waits that ended with UNAVAILABLE after the acquire timeout.
    int64_t wait_timeouts = 0;
  };
  Stats stats() const;

 private:
  void Release(std::unique_ptr<pqxx::connection> connection);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();

  const Options options_;
  const std::string password_;
  mutable absl::Mutex mutex_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mutex_);
  size_t open_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t waits_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t wait_timeouts_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_POSTGRES_POOL_H_
