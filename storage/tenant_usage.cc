#include "storage/tenant_usage.h"

#include <algorithm>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

// Returns the tenant id of a database at `<data_dir>/tenants/<id>.db`, the
// path that TenantDatabasePath gives.
std::string TenantIdOfPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  absl::ConsumeSuffix(&path, ".db");
  return std::string(path);
}

// Checks one limit. `noun` names the counted thing in the plural, and
// `field` the TenantQuota field that sets the limit.
absl::Status CheckLimit(absl::string_view tenant_id, int64_t current,
                        int64_t delta, int64_t limit, absl::string_view noun,
                        absl::string_view field, absl::string_view fix,
                        bool upload_in_progress = false) {
  // A limit of 0 means none. The counts and limits are never negative, so
  // `limit - current` cannot overflow. A delta of 0 passes unless the use is
  // already over a lowered limit.
  if (delta < 0 || limit <= 0 || delta <= limit - current) {
    return absl::OkStatus();
  }
  std::string description = absl::StrCat("tenant ", tenant_id, " has ", current,
                                         " of at most ", limit, " ", noun);
  if (upload_in_progress) {
    absl::StrAppend(&description, ", and the upload has sent ", delta,
                    " bytes so far");
  } else if (delta > 1) {
    absl::StrAppend(&description, ", and the request adds ", delta);
  }
  absl::StrAppend(&description, "; raise tenant.quota.", field,
                  " with UpdateTenant or ", fix);
  return QuotaExceededError(
      {absl::StrCat("tenants/", tenant_id), std::move(description)});
}

}  // namespace

absl::StatusOr<TenantUsageCounts> ReadUsageCounts(
    SqliteConnection& connection) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT profiles, posts, documents, document_bytes "
                         "FROM usage_counts WHERE singleton = 1"));
  StatementLease query(statement);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return absl::InternalError(absl::StrCat(
        "the tenant database ", connection.path(),
        " has no row in usage_counts, which tenant migration 0003 inserts; "
        "check it with CheckTenantDatabase and restore it from a backup"));
  }
  TenantUsageCounts counts;
  counts.profiles = query->ColumnInt(0);
  counts.posts = query->ColumnInt(1);
  counts.documents = query->ColumnInt(2);
  counts.document_bytes = query->ColumnInt(3);
  return counts;
}

absl::Status CheckQuota(SqliteConnection& connection, const TenantQuota& quota,
                        const UsageDelta& delta) {
  // A new document counts against the byte limit even when empty, so a
  // tenant over a lowered limit gets no new documents.
  const bool adds_bytes = delta.documents > 0 || delta.document_bytes > 0;
  const bool limited = (delta.profiles > 0 && quota.max_profiles > 0) ||
                       (delta.documents > 0 && quota.max_documents > 0) ||
                       (adds_bytes && quota.max_document_bytes > 0);
  // Most tenants have no limits; they skip the read.
  if (!limited) return absl::OkStatus();
  TENANTRY_ASSIGN_OR_RETURN(const TenantUsageCounts counts,
                            ReadUsageCounts(connection));
  const std::string tenant_id = TenantIdOfPath(connection.path());
  if (delta.profiles > 0) {
    TENANTRY_RETURN_IF_ERROR(CheckLimit(
        tenant_id, counts.profiles, delta.profiles, quota.max_profiles,
        "profiles", "max_profiles", "delete profiles"));
  }
  if (delta.documents > 0) {
    TENANTRY_RETURN_IF_ERROR(CheckLimit(
        tenant_id, counts.documents, delta.documents, quota.max_documents,
        "documents", "max_documents", "delete documents"));
  }
  if (!adds_bytes) return absl::OkStatus();
  return CheckLimit(tenant_id, counts.document_bytes,
                    std::max<int64_t>(delta.document_bytes, 0),
                    quota.max_document_bytes, "bytes of documents",
                    "max_document_bytes", "delete documents",
                    delta.upload_in_progress);
}

absl::Status QuotaExceededError(const QuotaViolation& violation) {
  absl::Status status = absl::ResourceExhaustedError(violation.description);
  status.SetPayload(
      kQuotaViolationPayloadKey,
      absl::Cord(absl::StrCat(violation.subject, "\n", violation.description)));
  return status;
}

std::optional<QuotaViolation> GetQuotaViolation(const absl::Status& status) {
  // absl's own optional, which is not std::optional in Debian's build.
  const auto payload = status.GetPayload(kQuotaViolationPayloadKey);
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  const size_t newline = text.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  return QuotaViolation{text.substr(0, newline), text.substr(newline + 1)};
}

}  // namespace tenantry::storage
