#include "storage/request_ids.h"

#include <algorithm>
#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/quoting.h"
#include "storage/records.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

// How long a request id is kept at least, in microseconds; see
// SetRequestIdRetention().
std::atomic<int64_t> request_id_retention_micros{
    absl::ToInt64Microseconds(kMinRequestIdRetention)};

// Expired ids that one RecordRequest deletes at most. Each create records
// one id, so deleting up to 100 keeps the table from growing without
// making any one create slow.
constexpr int64_t kMaxExpiredDeletes = 100;

}  // namespace

void SetRequestIdRetention(absl::Duration retention) {
  request_id_retention_micros.store(
      absl::ToInt64Microseconds(std::max(retention, kMinRequestIdRetention)),
      std::memory_order_relaxed);
}

absl::StatusOr<std::optional<std::string>> FindRequest(
    SqliteConnection& connection, const RequestKey& key) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT request_sha256, resource_id FROM request_ids "
                         "WHERE method = ? AND request_id = ?"));
  StatementLease query(statement);
  query->BindAll(key.method, key.request_id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) return std::optional<std::string>();
  if (query->ColumnText(0) != key.request_sha256) {
    return absl::AlreadyExistsError(absl::StrCat(
        "request_id ", QuoteForMessage(key.request_id),
        " was already used for a different ", key.method,
        " request; send a new request_id for a new request, or repeat the "
        "first request unchanged to get its result"));
  }
  return std::optional<std::string>(query->ColumnText(1));
}

absl::Status RecordRequest(SqliteConnection& connection, const RequestKey& key,
                           absl::string_view resource_id) {
  const int64_t now = absl::ToUnixMicros(CurrentTime());
  // Deleting a bounded batch of expired ids here spares the server a
  // separate sweep; the index on create_time keeps it cheap.
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * expire,
      connection.Prepare(
          "DELETE FROM request_ids WHERE (method, request_id) IN ("
          "SELECT method, request_id FROM request_ids WHERE create_time < ? "
          "ORDER BY create_time LIMIT ?)"));
  StatementLease delete_expired(expire);
  delete_expired->BindAll(
      now - request_id_retention_micros.load(std::memory_order_relaxed),
      kMaxExpiredDeletes);
  TENANTRY_RETURN_IF_ERROR(delete_expired->Execute().status());

  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("INSERT INTO request_ids (method, request_id, "
                         "request_sha256, resource_id, create_time) "
                         "VALUES (?, ?, ?, ?, ?)"));
  StatementLease insert(statement);
  insert->BindAll(key.method, key.request_id, key.request_sha256, resource_id,
                  now);
  return insert->Execute().status();
}

}  // namespace tenantry::storage
