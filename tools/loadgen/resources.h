// Requests that create load-test resources, shared by `loadgen prepare`
// and `loadgen run`.

#ifndef TENANTRY_TOOLS_LOADGEN_RESOURCES_H_
#define TENANTRY_TOOLS_LOADGEN_RESOURCES_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tenantry/v1/document.pb.h"
#include "tenantry/v1/profile.pb.h"
#include "tenantry/v1/user.grpc.pb.h"
#include "tools/loadgen/client.h"

namespace tenantry::loadgen {

// Deadline of each setup call, such as CreateTenant or CreateUser.
inline constexpr auto kSetupCallTimeout = std::chrono::seconds(30);

// Creates the user `<unique_name>@example.com` and returns its
// `users/{user}` name. `unique_name` must be unique on the server.
absl::StatusOr<std::string> CreateUser(
    v1::UserService::Stub& stub, const std::string& api_key,
    absl::string_view unique_name,
    Clock::time_point deadline = Clock::now() + kSetupCallTimeout);

// Fills a CreateProfile request for `user` in `tenant_id`: a STUDENT with
// a full name and a school.
void FillCreateProfileRequest(absl::string_view tenant_id,
                              absl::string_view user,
                              v1::CreateProfileRequest& request);

// Fills a CreateDocument request in `tenant_id` with `content`, owned by
// `owner` unless it is empty.
void FillCreateDocumentRequest(absl::string_view tenant_id,
                               absl::string_view owner,
                               const std::string& content,
                               v1::CreateDocumentRequest& request);

// Returns `bytes` bytes of random content, so that a compressing storage
// layer cannot shrink it.
std::string DocumentContent(int64_t bytes);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_RESOURCES_H_
