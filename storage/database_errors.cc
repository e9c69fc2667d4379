#include "storage/database_errors.h"

#include <sqlite3.h>

#include "absl/strings/match.h"

namespace tenantry::storage {

absl::StatusCode StatusCodeForSqliteResult(int extended_result_code) {
  switch (extended_result_code & 0xff) {
    case SQLITE_CONSTRAINT:
      if (extended_result_code == SQLITE_CONSTRAINT_UNIQUE ||
          extended_result_code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::StatusCode::kAlreadyExists;
      }
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusCode StatusCodeForSqlState(absl::string_view sqlstate) {
  // Classes and codes from the PostgreSQL 15 manual, appendix A.
  if (sqlstate == "23505") return absl::StatusCode::kAlreadyExists;
  if (absl::StartsWith(sqlstate, "23")) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (IsRetryableSqlState(sqlstate)) return absl::StatusCode::kAborted;
  // 08: connection exception; 57P01..57P03: the server is shutting down
  // or starting up; 53300: too many connections.
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P") ||
      sqlstate == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  // 53: insufficient resources, such as a full disk.
  if (absl::StartsWith(sqlstate, "53")) {
    return absl::StatusCode::kResourceExhausted;
  }
  // 57014: statement timeout or cancel.
  if (sqlstate == "57014") return absl::StatusCode::kDeadlineExceeded;
  return absl::StatusCode::kInternal;
}

bool IsRetryableSqlState(absl::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

}  // namespace tenantry::storage
