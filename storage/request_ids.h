#ifndef TENANTRY_STORAGE_REQUEST_IDS_H_
#define TENANTRY_STORAGE_REQUEST_IDS_H_

// Creates that carry a request_id are recorded in the same transaction as
// the resource they make, so that a retry finds the resource instead of
// making a second one.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

// Retries come within minutes; a week also covers a client that retries
// after a long outage.
inline constexpr absl::Duration kMinRequestIdRetention = absl::Hours(7 * 24);

// Sets how long tenant databases keep request ids: `retention`, and never
// less than kMinRequestIdRetention. The server passes its
// --tenant_retention, which is how long the shared store keeps them.
void SetRequestIdRetention(absl::Duration retention);

struct RequestKey {
  // The method, for example `CreateProfile`.
  std::string method;
  // The caller's request_id.
  std::string request_id;
  // Lowercase hex SHA-256 of the request without its request_id, so that a
  // different request under the same id is recognized.
  std::string request_sha256;
};

// Call inside the create's write transaction on a tenant database, before
// it writes. Returns the id of the resource that an earlier request with
// the same method and request_id created, std::nullopt if there was none,
// or ALREADY_EXISTS, naming the request_id, if that request differed.
absl::StatusOr<std::optional<std::string>> FindRequest(
    SqliteConnection& connection, const RequestKey& key);

// Records, in the same transaction, that `key` created `resource_id`.
// Also deletes up to 100 ids older than the retention, so an id is kept
// at least that long. Returns ALREADY_EXISTS if `key` is recorded
// already, which FindRequest in the same transaction rules out.
absl::Status RecordRequest(SqliteConnection& connection, const RequestKey& key,
                           absl::string_view resource_id);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_REQUEST_IDS_H_
