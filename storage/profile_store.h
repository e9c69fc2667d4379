#ifndef TENANTRY_STORAGE_PROFILE_STORE_H_
#define TENANTRY_STORAGE_PROFILE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"
#include "storage/request_ids.h"
#include "storage/shared_store.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {

// Conditions for listing profiles; unset ones match every profile.
struct ProfileFilter {
  std::optional<Role> role;
  std::optional<std::string> slug;
};

// The checks and records that a create makes in the transaction of its
// insert.
struct CreateOptions {
  // The tenant's limits. Profile creates check max_profiles, document
  // creates max_documents and max_document_bytes, and posts have none.
  TenantQuota quota;
  // The request's key when it carries a request_id. A create whose key is
  // recorded already returns the resource that the key's first request
  // made and writes nothing.
  std::optional<RequestKey> request_key;
};

// Profiles and posts in one tenant database. Cheap to construct per call;
// thread-safe because TenantDatabase serializes access.
class ProfileStore {
 public:
  explicit ProfileStore(TenantDatabase* database) : database_(database) {}

  // Inserts `profile` with a new id, revision 1 and both times set to now.
  // Returns ALREADY_EXISTS if the user already has a profile, the slug is
  // taken or the request key was used by a different request. Returns
  // RESOURCE_EXHAUSTED if the tenant has `options.quota.max_profiles`
  // profiles already. Returns NOT_FOUND if the profile of a repeated
  // request key has been deleted since.
  absl::StatusOr<ProfileRecord> Create(const ProfileRecord& profile,
                                       const CreateOptions& options = {});

  // Returns NOT_FOUND if there is no such profile.
  absl::StatusOr<ProfileRecord> Get(absl::string_view id);

  // Returns the profile of `user_id`, or nullopt if the user has none.
  absl::StatusOr<std::optional<ProfileRecord>> FindByUser(
      absl::string_view user_id);

  // Returns matching profiles ordered by id.
  absl::StatusOr<Page<ProfileRecord>> List(const ProfileFilter& filter,
                                           const PageRequest& page);

  // Applies `mutation` to the stored profile and writes it back with a new
  // revision and update time, in one transaction. Returns NOT_FOUND,
  // ALREADY_EXISTS for a taken slug, or the mutation's error.
  absl::StatusOr<ProfileRecord> Update(absl::string_view id,
                                       const Mutation<ProfileRecord>& mutation);

  // Deletes the profile and its posts. Returns NOT_FOUND, or ABORTED if
  // `expected_revision` is set and differs.
  absl::Status Delete(absl::string_view id,
                      std::optional<int64_t> expected_revision);

  // Inserts `post` with a new id. Returns NOT_FOUND if its profile does
  // not exist. `options.request_key` works as in Create(). Posts have no
  // quota, so `options.quota` is ignored.
  absl::StatusOr<PostRecord> CreatePost(const PostRecord& post,
                                        const CreateOptions& options = {});

  // Returns the posts of a profile ordered by id. Returns NOT_FOUND if the
  // profile does not exist.
  absl::StatusOr<Page<PostRecord>> ListPosts(absl::string_view profile_id,
                                             const PageRequest& page);

 private:
  TenantDatabase* database_;
};

// Text forms stored in the database, shared with the document store.
absl::string_view VisibilityText(Visibility visibility);
Visibility VisibilityFromText(absl::string_view text);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_PROFILE_STORE_H_
