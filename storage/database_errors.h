#ifndef TENANTRY_STORAGE_DATABASE_ERRORS_H_
#define TENANTRY_STORAGE_DATABASE_ERRORS_H_

// The one place where database error codes become canonical status codes,
// for both SQLite and PostgreSQL:
//
//   unique or primary key violation          ALREADY_EXISTS
//   other constraint violation               FAILED_PRECONDITION
//   lock contention, lost or refused connection  UNAVAILABLE
//   serialization failure, deadlock          ABORTED (after retries)
//   disk or memory full                      RESOURCE_EXHAUSTED
//   anything else                            INTERNAL

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tenantry::storage {

// Maps an extended SQLite result code, such as SQLITE_CONSTRAINT_UNIQUE.
absl::StatusCode StatusCodeForSqliteResult(int extended_result_code);

// Maps a PostgreSQL SQLSTATE, such as "23505". An empty SQLSTATE, which
// libpqxx reports for errors without one, maps to INTERNAL.
absl::StatusCode StatusCodeForSqlState(absl::string_view sqlstate);

// Whether a transaction that failed with `sqlstate` may succeed if run
// again: serialization failures and deadlocks.
bool IsRetryableSqlState(absl::string_view sqlstate);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_DATABASE_ERRORS_H_
