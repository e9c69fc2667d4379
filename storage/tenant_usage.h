#ifndef TENANTRY_STORAGE_TENANT_USAGE_H_
#define TENANTRY_STORAGE_TENANT_USAGE_H_

// What a tenant database holds, kept up to date by the database itself, and
// the check of a create against the tenant's limits.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

struct TenantUsageCounts {
  int64_t profiles = 0;
  int64_t posts = 0;
  int64_t documents = 0;
  // The sum of the documents' size_bytes.
  int64_t document_bytes = 0;
};

// Reads the counts of the tenant database open on `connection`. The
// triggers of tenant migration 0003 keep them in the one row of
// `usage_counts`, so this reads one row whatever the size of the tables.
absl::StatusOr<TenantUsageCounts> ReadUsageCounts(SqliteConnection& connection);

// The amounts that one create adds to a tenant's use.
struct UsageDelta {
  int64_t profiles = 0;
  int64_t documents = 0;
  int64_t document_bytes = 0;
  // Set while an upload streams, when `document_bytes` counts only the
  // bytes received so far. The error message then states that.
  bool upload_in_progress = false;
};

// Call inside the write transaction that makes the create, before it
// writes. Returns RESOURCE_EXHAUSTED, naming the limit and the current use,
// if adding `delta` to the use of the database on `connection` would pass
// a limit of `quota`.
//
// A document create passes documents = 1 and document_bytes = its size.
// An update that grows a document passes the growth alone, and one that
// shrinks it is never refused. A limit is checked only when `delta` adds
// to it: profiles and documents when their field is above 0, and the bytes
// when documents or document_bytes is. So a new document of 0 bytes is
// refused while the tenant is over a lowered max_document_bytes.
//
// The check and the insert must run in the same TenantDatabase::Write()
// body. Write() runs one body at a time, which keeps concurrent creates
// from passing a limit together. The error names the tenant by the
// database file's name, `<tenant>.db`, and carries a QuotaViolation
// payload (see QuotaExceededError).
absl::Status CheckQuota(SqliteConnection& connection, const TenantQuota& quota,
                        const UsageDelta& delta);

// The key of the absl::Status payload that describes which limit a
// RESOURCE_EXHAUSTED passed. The payload is the subject, a newline, and
// the description. services/grpc_status.cc sends it to the client as a
// google.rpc.QuotaFailure detail, because storage uses no protos.
inline constexpr absl::string_view kQuotaViolationPayloadKey =
    "tenantry.storage.QuotaViolation";

// One passed limit, as in google.rpc.QuotaFailure.Violation.
struct QuotaViolation {
  // The resource that the limit applies to, for example `tenants/acme`.
  // Contains no newline.
  std::string subject;
  // The limit, the current use and the fix.
  std::string description;
};

// Returns RESOURCE_EXHAUSTED with `violation.description` as the message
// and `violation` as a kQuotaViolationPayloadKey payload.
absl::Status QuotaExceededError(const QuotaViolation& violation);

// Returns the QuotaViolation payload of `status`, if it has one.
std::optional<QuotaViolation> GetQuotaViolation(const absl::Status& status);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_USAGE_H_
