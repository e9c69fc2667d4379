#ifndef TENANTRY_SERVICES_API_KEYS_H_
#define TENANTRY_SERVICES_API_KEYS_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/records.h"
#include "storage/shared_store.h"

namespace tenantry::services {

// The metadata key that carries `Bearer <key>`.
inline constexpr absl::string_view kAuthorizationMetadataKey = "authorization";

// Shortest admin key the server accepts, in characters.
inline constexpr size_t kMinAdminKeyLength = 20;

// The caller of a call, as its API key identifies it.
struct Caller {
  // The admin key may call every method.
  bool admin = false;
  // For a tenant key: the tenant whose ProfileService and DocumentService
  // calls it may make.
  std::string tenant_id;
};

// A new tenant key: the record to store and the secret to hand out once.
struct NewApiKey {
  storage::ApiKeyRecord record;
  // `tk_<id>_<64 hex digits>`, sent as `authorization: Bearer <key>`.
  std::string key;
};

// Makes a key with a new id and 256 random bits from OpenSSL's RAND_bytes.
absl::StatusOr<NewApiKey> GenerateApiKey(absl::string_view tenant_id,
                                         absl::string_view display_name);

// Returns the lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Returns OK if `key` may serve as the admin key: at least
// kMinAdminKeyLength characters, all printable ASCII without spaces.
absl::Status ValidateAdminKey(absl::string_view key);

// Checks the API key of each call against the admin key and the tenant
// keys in the shared store. Secrets are compared in constant time as
// SHA-256 digests. Thread-safe.
class ApiKeyAuthenticator {
 public:
  // `store` must outlive this. An empty `admin_key` means there is none.
  ApiKeyAuthenticator(storage::SharedStore* store, absl::string_view admin_key);

  // Returns the caller that the `authorization` metadata names, or
  // UNAUTHENTICATED if it is missing, malformed, unknown or revoked.
  // Returns UNAVAILABLE if the shared store cannot be read.
  absl::StatusOr<Caller> Authenticate(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

  // Drops a revoked key, or every key of a deleted tenant, from the cache
  // so that the next call with it fails at once.
  void ForgetKey(absl::string_view key_id);
  void ForgetTenant(absl::string_view tenant_id);

 private:
  absl::StatusOr<Caller> AuthenticateTenantKey(absl::string_view key);
  // Returns the key's record from the cache or the shared store.
  absl::StatusOr<storage::ApiKeyRecord> LookUp(absl::string_view key_id);

  struct CachedKey {
    storage::ApiKeyRecord record;
    absl::Time expire_time;
  };

  storage::SharedStore* const store_;
  // SHA-256 of the admin key, or empty.
  const std::string admin_key_sha256_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, CachedKey> cache_ ABSL_GUARDED_BY(mutex_);
  // Incremented by every ForgetKey and ForgetTenant, so that a lookup that
  // read the store before a revocation does not cache what it read.
  uint64_t revocations_ ABSL_GUARDED_BY(mutex_) = 0;
};

// Returns OK if `caller` may call `method`: the admin key may call every
// method, a tenant key only tenant-scoped methods with its own tenant in
// `requested_tenant_id`. Returns PERMISSION_DENIED otherwise.
absl::Status AuthorizeCall(const Caller& caller, absl::string_view method,
                           bool tenant_scoped,
                           absl::string_view requested_tenant_id);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_API_KEYS_H_
