#include "tools/loadgen/resources.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace tenantry::loadgen {

absl::StatusOr<std::string> CreateUser(v1::UserService::Stub& stub,
                                       const std::string& api_key,
                                       absl::string_view unique_name,
                                       Clock::time_point deadline) {
  grpc::ClientContext context;
  context.set_deadline(ToGrpcDeadline(deadline));
  AddCallMetadata(context, api_key, "");
  v1::CreateUserRequest request;
  request.mutable_user()->set_email(absl::StrCat(unique_name, "@example.com"));
  request.mutable_user()->set_display_name(
      absl::StrCat("loadgen user ", unique_name));
  v1::User user;
  const grpc::Status status = stub.CreateUser(&context, request, &user);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("CreateUser for ", request.user().email(),
                     " failed: ", DescribeStatus(status)));
  }
  return user.name();
}

void FillCreateProfileRequest(absl::string_view tenant_id,
                              absl::string_view user,
                              v1::CreateProfileRequest& request) {
  request.set_parent(absl::StrCat("tenants/", tenant_id));
  v1::Profile& profile = *request.mutable_profile();
  profile.set_user(std::string(user));
  profile.set_full_name("Loadgen Student");
  profile.set_role(v1::STUDENT);
  profile.mutable_student_info()->set_school("Loadgen School");
}

void FillCreateDocumentRequest(absl::string_view tenant_id,
                               absl::string_view owner,
                               const std::string& content,
                               v1::CreateDocumentRequest& request) {
  request.set_parent(absl::StrCat("tenants/", tenant_id));
  v1::Document& document = *request.mutable_document();
  document.set_title("loadgen document");
  document.set_content(content);
  document.set_content_type("application/octet-stream");
  if (!owner.empty()) document.set_owner(std::string(owner));
}

std::string DocumentContent(int64_t bytes) {
  absl::BitGen random;
  std::string content(static_cast<size_t>(bytes), '\0');
  for (char& c : content) c = static_cast<char>(absl::Uniform<uint8_t>(random));
  return content;
}

}  // namespace tenantry::loadgen
