#include "storage/postgres_pool.h"

#include <poll.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "storage/database_errors.h"

namespace tenantry::storage {
namespace {

// Splits `postgresql://user:password@rest` around the password. Returns
// false if the URL has no password.
bool FindPassword(absl::string_view url, size_t* start, size_t* length) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return false;
  const size_t authority = scheme_end + 3;
  const size_t at = url.find('@', authority);
  if (at == absl::string_view::npos) return false;
  const size_t colon = url.substr(authority, at - authority).find(':');
  if (colon == absl::string_view::npos) return false;
  *start = authority + colon + 1;
  *length = at - *start;
  return true;
}

// Returns the message of a libpqxx exception on one line, with `password`
// replaced by "***". libpq ends its messages with a newline and indents
// continuation lines with "\n\t".
std::string ExceptionDetail(const std::exception& error,
                            absl::string_view password) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(error.what(), '\n', absl::SkipWhitespace());
  for (absl::string_view& line : lines) line = absl::StripAsciiWhitespace(line);
  std::string detail = absl::StrJoin(lines, " ");
  if (!password.empty()) {
    detail = absl::StrReplaceAll(detail, {{password, "***"}});
  }
  return detail;
}

// Whether an idle connection may be leased. PostgreSQL sends nothing to
// an idle session of this pool unless it ends the session, for example
// when it shuts down. Then it sends an error and closes the socket, so a
// readable socket means that the connection is gone. A notice or parameter
// report, which the protocol allows at any time, costs one reconnect.
bool IdleConnectionIsOpen(pqxx::connection& connection) {
  if (!connection.is_open()) return false;
  pollfd socket = {connection.sock(), POLLIN, 0};
  return poll(&socket, 1, /*timeout=*/0) == 0;
}

}  // namespace

std::string PasswordOfUrl(absl::string_view url) {
  size_t start = 0;
  size_t length = 0;
  if (!FindPassword(url, &start, &length)) return "";
  return std::string(url.substr(start, length));
}

std::string RedactUrl(absl::string_view url) {
  size_t start = 0;
  size_t length = 0;
  if (!FindPassword(url, &start, &length)) return std::string(url);
  return absl::StrCat(url.substr(0, start), "***", url.substr(start + length));
}

absl::Status PostgresError(const std::exception& error,
                           absl::string_view context,
                           absl::string_view password) {
  std::string detail = ExceptionDetail(error, password);
  absl::StatusCode code = absl::StatusCode::kInternal;
  std::string sqlstate;
  if (const auto* sql_error = dynamic_cast<const pqxx::sql_error*>(&error)) {
    sqlstate = sql_error->sqlstate();
    code = StatusCodeForSqlState(sqlstate);
  } else if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    return absl::UnavailableError(absl::StrCat(
        context, ": the connection to PostgreSQL broke during the commit (",
        detail,
        "), so the change may or may not have been made; read the resource "
        "before you retry the call"));
  } else if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    code = absl::StatusCode::kUnavailable;
    detail = absl::StrCat("the connection to PostgreSQL broke (", detail, ")");
  } else if (dynamic_cast<const pqxx::transaction_rollback*>(&error) !=
             nullptr) {
    // libpqxx 6.4 derives serialization failures and deadlocks from
    // transaction_rollback rather than sql_error.
    code = absl::StatusCode::kAborted;
  }
  if (!sqlstate.empty()) absl::StrAppend(&detail, " (SQLSTATE ", sqlstate, ")");
  if (code == absl::StatusCode::kUnavailable) {
    absl::StrAppend(&detail,
                    "; the shared store is unavailable, so retry the call "
                    "when its PostgreSQL server accepts connections again");
  }
  return absl::Status(code, absl::StrCat(context, ": ", detail));
}

PostgresPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(connection_));
}

PostgresPool::PostgresPool(Options options)
    : options_(std::move(options)), password_(PasswordOfUrl(options_.url)) {}

PostgresPool::~PostgresPool() {
  absl::MutexLock lock(&mutex_);
  idle_.clear();
}

size_t PostgresPool::open_connections() const {
  absl::MutexLock lock(&mutex_);
  return open_;
}

PostgresPool::Stats PostgresPool::stats() const {
  absl::MutexLock lock(&mutex_);
  Stats stats;
  stats.open = static_cast<int64_t>(open_);
  stats.in_use = static_cast<int64_t>(open_ - idle_.size());
  stats.waits = waits_;
  stats.wait_timeouts = wait_timeouts_;
  return stats;
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PostgresPool::Connect() {
  std::string url = options_.url;
  // libpq parameters that the URL does not set itself. The TCP ones make
  // the kernel give up on a server that stops answering, such as a frozen
  // host or a network partition, after about 10 seconds instead of many
  // minutes.
  const std::pair<std::string, std::string> defaults[] = {
      {"connect_timeout", absl::StrCat(options_.connect_timeout_seconds)},
      {"tcp_user_timeout", "10000"},
      {"keepalives_idle", "5"},
      {"keepalives_interval", "2"},
      {"keepalives_count", "3"},
  };
  for (const auto& [name, value] : defaults) {
    if (absl::StrContains(url, absl::StrCat(name, "="))) continue;
    absl::StrAppend(&url, absl::StrContains(url, "?") ? "&" : "?", name, "=",
                    value);
  }
  try {
    auto connection = std::make_unique<pqxx::connection>(url);
    for (const auto& [name, sql] : options_.statements) {
      connection->prepare(name, sql);
    }
    return connection;
  } catch (const std::exception& error) {
    // Whatever the cause, a connection that cannot be opened means the
    // shared store is unavailable to this call. libpqxx 6.4 throws
    // broken_connection without SQLSTATE for a refused connection, a
    // timeout and a wrong password alike.
    return absl::UnavailableError(absl::StrCat(
        "failed to connect to the shared store at ", RedactUrl(options_.url),
        ": ", ExceptionDetail(error, password_),
        "; check that PostgreSQL runs there and accepts this user and "
        "password, then retry"));
  }
}

absl::StatusOr<PostgresPool::Lease> PostgresPool::Acquire() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  // Each pass takes one idle connection and either leases it or closes
  // it, so the loop ends once the idle connections are used up.
  while (true) {
    std::unique_ptr<pqxx::connection> idle;
    {
      absl::MutexLock lock(&mutex_);
      const auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !idle_.empty() || open_ < options_.size;
      };
      if (!can_proceed()) ++waits_;
      if (!mutex_.AwaitWithDeadline(absl::Condition(&can_proceed), deadline)) {
        ++wait_timeouts_;
        return absl::UnavailableError(absl::StrCat(
            "all ", options_.size, " shared-store connections stayed busy for ",
            absl::FormatDuration(options_.acquire_timeout),
            "; raise --shared_db_pool_size or reduce the load"));
      }
      if (idle_.empty()) {
        // Reserve the slot before connecting outside the lock.
        ++open_;
        break;
      }
      idle = std::move(idle_.back());
      idle_.pop_back();
    }
    if (IdleConnectionIsOpen(*idle)) return Lease(this, std::move(idle));
    idle.reset();
    absl::MutexLock lock(&mutex_);
    --open_;
  }
  absl::StatusOr<std::unique_ptr<pqxx::connection>> connection = Connect();
  if (!connection.ok()) {
    absl::MutexLock lock(&mutex_);
    --open_;
    return connection.status();
  }
  return Lease(this, *std::move(connection));
}

void PostgresPool::Release(std::unique_ptr<pqxx::connection> connection) {
  const bool healthy = connection != nullptr && connection->is_open();
  absl::MutexLock lock(&mutex_);
  if (healthy) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
}

}  // namespace tenantry::storage
