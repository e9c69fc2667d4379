#include "services/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/quoting.h"

namespace tenantry::services {
namespace {

constexpr absl::string_view kKeyPrefix = "tk_";
constexpr size_t kKeyIdLength = 26;
constexpr size_t kSecretBytes = 32;
// How long a looked-up tenant key is trusted without reading the shared
// store again. A key revoked through another server that shares the store
// keeps working here for at most this long.
constexpr absl::Duration kKeyCacheTtl = absl::Seconds(10);
// Cached keys beyond this many are dropped all at once.
constexpr size_t kMaxCachedKeys = 10000;

absl::Status InvalidKeyError() {
  return absl::UnauthenticatedError(
      "the API key in the authorization metadata is not valid: it is "
      "malformed, unknown or revoked; send the admin key or a key from "
      "TenantService.CreateApiKey");
}

// Compares two equal-length digests without an early exit.
bool DigestsEqual(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<NewApiKey> GenerateApiKey(absl::string_view tenant_id,
                                         absl::string_view display_name) {
  unsigned char secret[kSecretBytes];
  if (RAND_bytes(secret, sizeof(secret)) != 1) {
    return absl::InternalError("OpenSSL's RAND_bytes failed to make a key");
  }
  const std::string secret_hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(secret), sizeof(secret)));
  NewApiKey created;
  created.record.id = storage::NewResourceId();
  created.record.tenant_id = std::string(tenant_id);
  created.record.display_name = std::string(display_name);
  created.record.secret_sha256 = Sha256Hex(secret_hex);
  created.key = absl::StrCat(kKeyPrefix, created.record.id, "_", secret_hex);
  return created;
}

absl::Status ValidateAdminKey(absl::string_view key) {
  if (key.size() < kMinAdminKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the admin key is ", key.size(), " characters long; use at least ",
        kMinAdminKeyLength, ", for example: openssl rand -hex 32"));
  }
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(
          "the admin key contains a space, a control character or a "
          "non-ASCII byte; use printable ASCII, for example: openssl rand "
          "-hex 32");
    }
  }
  return absl::OkStatus();
}

ApiKeyAuthenticator::ApiKeyAuthenticator(storage::SharedStore* store,
                                         absl::string_view admin_key)
    : store_(store),
      admin_key_sha256_(admin_key.empty() ? "" : Sha256Hex(admin_key)) {}

absl::StatusOr<Caller> ApiKeyAuthenticator::Authenticate(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  std::vector<absl::string_view> values;
  for (const auto& [name, value] : metadata) {
    if (absl::EqualsIgnoreCase(absl::string_view(name.data(), name.size()),
                               kAuthorizationMetadataKey)) {
      values.emplace_back(value.data(), value.size());
    }
  }
  if (values.empty()) {
    return absl::UnauthenticatedError(
        "missing authorization metadata; send \"authorization: Bearer "
        "<key>\" with the admin key or a key from TenantService.CreateApiKey");
  }
  if (values.size() > 1) {
    return absl::UnauthenticatedError(
        "authorization metadata appears more than once; send it once");
  }
  absl::string_view credentials = values.front();
  // RFC 7235: the scheme name is case-insensitive.
  if (credentials.size() < 7 ||
      !absl::EqualsIgnoreCase(credentials.substr(0, 7), "Bearer ")) {
    return absl::UnauthenticatedError(
        "the authorization metadata is not \"Bearer <key>\"; send the key "
        "after \"Bearer \"");
  }
  const absl::string_view key =
      absl::StripAsciiWhitespace(credentials.substr(7));
  // Every key is hashed and compared, so the time taken does not show how
  // much of the admin key matched.
  if (!admin_key_sha256_.empty() &&
      DigestsEqual(Sha256Hex(key), admin_key_sha256_)) {
    return Caller{true, ""};
  }
  return AuthenticateTenantKey(key);
}

absl::StatusOr<Caller> ApiKeyAuthenticator::AuthenticateTenantKey(
    absl::string_view key) {
  absl::string_view rest = key;
  if (!absl::ConsumePrefix(&rest, kKeyPrefix) ||
      rest.size() != kKeyIdLength + 1 + 2 * kSecretBytes ||
      rest[kKeyIdLength] != '_') {
    return InvalidKeyError();
  }
  const absl::string_view key_id = rest.substr(0, kKeyIdLength);
  const absl::string_view secret = rest.substr(kKeyIdLength + 1);
  if (!storage::IsResourceId(key_id)) return InvalidKeyError();
  absl::StatusOr<storage::ApiKeyRecord> record = LookUp(key_id);
  if (absl::IsNotFound(record.status())) return InvalidKeyError();
  if (!record.ok()) return record.status();
  if (!DigestsEqual(Sha256Hex(secret), record->secret_sha256)) {
    return InvalidKeyError();
  }
  return Caller{false, record->tenant_id};
}

absl::StatusOr<storage::ApiKeyRecord> ApiKeyAuthenticator::LookUp(
    absl::string_view key_id) {
  const absl::Time now = absl::Now();
  uint64_t revocations_before = 0;
  {
    absl::MutexLock lock(&mutex_);
    auto cached = cache_.find(key_id);
    if (cached != cache_.end() && cached->second.expire_time > now) {
      return cached->second.record;
    }
    revocations_before = revocations_;
  }
  absl::StatusOr<storage::ApiKeyRecord> record = store_->GetApiKey(key_id);
  if (!record.ok()) return record;
  absl::MutexLock lock(&mutex_);
  if (revocations_ != revocations_before) return record;
  if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  cache_[key_id] = CachedKey{*record, now + kKeyCacheTtl};
  return record;
}

void ApiKeyAuthenticator::ForgetKey(absl::string_view key_id) {
  absl::MutexLock lock(&mutex_);
  ++revocations_;
  cache_.erase(key_id);
}

void ApiKeyAuthenticator::ForgetTenant(absl::string_view tenant_id) {
  absl::MutexLock lock(&mutex_);
  ++revocations_;
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second.record.tenant_id == tenant_id) {
      cache_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::Status AuthorizeCall(const Caller& caller, absl::string_view method,
                           bool tenant_scoped,
                           absl::string_view requested_tenant_id) {
  if (caller.admin) return absl::OkStatus();
  if (!tenant_scoped) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the API key of tenant \"", caller.tenant_id, "\" may not call ",
        method,
        "; tenant keys may call ProfileService and DocumentService only, "
        "and TenantService and UserService need the admin key"));
  }
  if (requested_tenant_id != caller.tenant_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("the API key belongs to tenant \"", caller.tenant_id,
                     "\" but the x-tenant-id metadata is ",
                     storage::QuoteForMessage(requested_tenant_id),
                     "; use a key of the tenant you call"));
  }
  return absl::OkStatus();
}

}  // namespace tenantry::services
