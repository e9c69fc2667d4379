#include "storage/postgres_pool.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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
  std::string detail = error.what();
  // libpq messages end with a newline.
  while (!detail.empty() && detail.back() == '\n') detail.pop_back();
  if (!password.empty()) {
    detail = absl::StrReplaceAll(detail, {{password, "***"}});
  }
  absl::StatusCode code = absl::StatusCode::kInternal;
  std::string sqlstate;
  if (const auto* sql_error = dynamic_cast<const pqxx::sql_error*>(&error)) {
    sqlstate = sql_error->sqlstate();
    code = StatusCodeForSqlState(sqlstate);
  } else if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
             dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    code = absl::StatusCode::kUnavailable;
  } else if (dynamic_cast<const pqxx::transaction_rollback*>(&error) !=
             nullptr) {
    // libpqxx 6.4 derives serialization failures and deadlocks from
    // transaction_rollback rather than sql_error.
    code = absl::StatusCode::kAborted;
  }
  return absl::Status(
      code,
      absl::StrCat(context, ": ", detail, sqlstate.empty() ? "" : " (SQLSTATE ",
                   sqlstate, sqlstate.empty() ? "" : ")"));
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

absl::StatusOr<std::unique_ptr<pqxx::connection>> PostgresPool::Connect() {
  std::string url = options_.url;
  if (!absl::StrContains(url, "connect_timeout=")) {
    absl::StrAppend(&url, absl::StrContains(url, "?") ? "&" : "?",
                    "connect_timeout=", options_.connect_timeout_seconds);
  }
  try {
    auto connection = std::make_unique<pqxx::connection>(url);
    for (const auto& [name, sql] : options_.statements) {
      connection->prepare(name, sql);
    }
    return connection;
  } catch (const std::exception& error) {
    absl::Status status = PostgresError(
        error, absl::StrCat("failed to connect to ", RedactUrl(options_.url)),
        password_);
    // Whatever the cause, a connection that cannot be opened means the
    // shared store is unavailable to this call.
    return absl::UnavailableError(status.message());
  }
}

absl::StatusOr<PostgresPool::Lease> PostgresPool::Acquire() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  {
    absl::MutexLock lock(&mutex_);
    const auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!mutex_.AwaitWithDeadline(absl::Condition(&can_proceed), deadline)) {
      return absl::UnavailableError(absl::StrCat(
          "all ", options_.size, " shared-store connections stayed busy for ",
          absl::FormatDuration(options_.acquire_timeout),
          "; raise --shared_db_pool_size or reduce the load"));
    }
    if (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    // Reserve the slot before connecting outside the lock.
    ++open_;
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
