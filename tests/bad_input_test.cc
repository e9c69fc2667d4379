// Sends bad requests to all four services of one server and checks that
// each gets the expected error and writes nothing. An INVALID_ARGUMENT must
// carry a google.rpc.BadRequest detail that names exactly the bad field,
// and NOT_FOUND and ALREADY_EXISTS must name the resource or value in their
// message. After every case the whole state, read through the API, and the
// files of the data directory with their sizes must be as before.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/request_validator.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using grpc::StatusCode;
using tenantry::v1::CheckTenantDatabaseRequest;
using tenantry::v1::CheckTenantDatabaseResponse;
using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::CreatePostRequest;
using tenantry::v1::CreateProfileRequest;
using tenantry::v1::CreateTenantRequest;
using tenantry::v1::CreateUserRequest;
using tenantry::v1::DeleteDocumentRequest;
using tenantry::v1::DeleteProfileRequest;
using tenantry::v1::DeleteTenantRequest;
using tenantry::v1::Document;
using tenantry::v1::DocumentService;
using tenantry::v1::GetDocumentRequest;
using tenantry::v1::GetProfileRequest;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::GetUserRequest;
using tenantry::v1::ListDocumentsRequest;
using tenantry::v1::ListDocumentsResponse;
using tenantry::v1::ListPostsRequest;
using tenantry::v1::ListPostsResponse;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::ListTenantsRequest;
using tenantry::v1::ListTenantsResponse;
using tenantry::v1::ListUsersRequest;
using tenantry::v1::ListUsersResponse;
using tenantry::v1::LookupProfileByUserRequest;
using tenantry::v1::LookupProfileByUserResponse;
using tenantry::v1::Post;
using tenantry::v1::Profile;
using tenantry::v1::ProfileService;
using tenantry::v1::Tenant;
using tenantry::v1::TenantService;
using tenantry::v1::UndeleteTenantRequest;
using tenantry::v1::UpdateDocumentRequest;
using tenantry::v1::UpdateProfileRequest;
using tenantry::v1::UpdateTenantRequest;
using tenantry::v1::UpdateUserRequest;
using tenantry::v1::User;
using tenantry::v1::UserService;
using ::testing::HasSubstr;

constexpr absl::string_view kBadRequestTypeUrl =
    "type.googleapis.com/google.rpc.BadRequest";

// The server's --max_document_bytes in this test.
constexpr int64_t kMaxDocumentBytes = 1024;

// A well-formed resource id that the server never issued.
constexpr char kUnknownId[] = "00000000000000000000000000";

// Tenants, users and resources that every case may name. Created once for
// the whole suite, and no case may change them.
struct World {
  TestServer* server = nullptr;
  // Tenants "alpha" and "beta".
  // Users: ann has a profile in alpha and in beta, bob has one in alpha
  // and in beta, cara has none.
  User ann;
  User bob;
  User cara;
  // ann's profile in alpha has the slug "ann-lee" and one post.
  Profile ann_alpha;
  Profile bob_alpha;
  Profile ann_beta;
  Profile bob_beta;
  // alpha_report is owned by ann_alpha, beta_report by ann_beta.
  Document alpha_report;
  Document alpha_notes;
  Document beta_report;
  // First-page tokens of lists with page_size 1.
  std::string list_tenants_token;
  std::string list_users_token;
  std::string alpha_documents_token;
  std::string beta_profiles_token;
};

// Returns the last segment of a resource name: the id.
std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

std::string Repeat(char c, size_t count) { return std::string(count, c); }

// Text with a NUL byte in the middle.
std::string WithNul(absl::string_view before, absl::string_view after) {
  std::string text(before);
  text.push_back('\0');
  text.append(after.data(), after.size());
  return text;
}

// Calls a method of `stub` with `context` and drops the response.
template <typename Stub, typename Request, typename Response>
grpc::Status Send(Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*,
                                               const Request&, Response*),
                  const Request& request,
                  std::unique_ptr<grpc::ClientContext> context) {
  Response response;
  return (stub.*method)(context.get(), request, &response);
}

// Calls a method of a shared-scope service.
template <typename Stub, typename Request, typename Response>
grpc::Status SendShared(Stub& stub,
                        grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                     const Request&, Response*),
                        const Request& request) {
  return Send(stub, method, request, TestServer::Context());
}

// Calls a method of a tenant-scoped service as tenant "alpha".
template <typename Stub, typename Request, typename Response>
grpc::Status SendAlpha(Stub& stub,
                       grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                    const Request&, Response*),
                       const Request& request) {
  return Send(stub, method, request, TestServer::TenantContext("alpha"));
}

// Valid requests that the cases below break in exactly one field. Sent as
// they are, each would write, so a check the server lacks shows up as a
// changed state.

CreateTenantRequest ValidCreateTenant() {
  CreateTenantRequest request;
  request.set_tenant_id("gamma");
  request.mutable_tenant()->set_display_name("Gamma");
  return request;
}

UpdateTenantRequest ValidUpdateTenant() {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/alpha");
  request.mutable_tenant()->set_display_name("Alpha Renamed");
  request.mutable_update_mask()->add_paths("display_name");
  return request;
}

CreateUserRequest ValidCreateUser() {
  CreateUserRequest request;
  request.mutable_user()->set_email("dan@example.com");
  request.mutable_user()->set_display_name("Dan");
  return request;
}

UpdateUserRequest ValidUpdateUser(const World& world) {
  UpdateUserRequest request;
  request.mutable_user()->set_name(world.bob.name());
  request.mutable_user()->set_display_name("Bob Renamed");
  request.mutable_update_mask()->add_paths("display_name");
  return request;
}

// A profile for cara in alpha, where she has none.
CreateProfileRequest ValidCreateProfile(const World& world) {
  CreateProfileRequest request;
  request.set_parent("tenants/alpha");
  Profile* profile = request.mutable_profile();
  profile->set_user(world.cara.name());
  profile->set_full_name("Cara Diaz");
  profile->set_role(tenantry::v1::STUDENT);
  profile->mutable_student_info()->set_school("Tenantry High");
  return request;
}

UpdateProfileRequest ValidUpdateProfile(const World& world,
                                        absl::string_view mask_path) {
  UpdateProfileRequest request;
  request.mutable_profile()->set_name(world.bob_alpha.name());
  request.mutable_update_mask()->add_paths(std::string(mask_path));
  return request;
}

CreatePostRequest ValidCreatePost(const World& world) {
  CreatePostRequest request;
  request.set_parent(world.ann_alpha.name());
  request.mutable_post()->set_content("Hello from alpha.");
  return request;
}

CreateDocumentRequest ValidCreateDocument() {
  CreateDocumentRequest request;
  request.set_parent("tenants/alpha");
  request.mutable_document()->set_title("Minutes");
  request.mutable_document()->set_content("Agreed on the budget.");
  return request;
}

UpdateDocumentRequest ValidUpdateDocument(const World& world,
                                          absl::string_view mask_path) {
  UpdateDocumentRequest request;
  request.mutable_document()->set_name(world.alpha_notes.name());
  request.mutable_update_mask()->add_paths(std::string(mask_path));
  return request;
}

ListProfilesRequest AlphaListProfiles() {
  ListProfilesRequest request;
  request.set_parent("tenants/alpha");
  return request;
}

ListDocumentsRequest AlphaListDocuments() {
  ListDocumentsRequest request;
  request.set_parent("tenants/alpha");
  return request;
}

// Sends one bad request.
using RequestSender = std::function<grpc::Status(const World&)>;

// One bad request and the error it must get.
struct BadInputCase {
  // The gtest parameter name.
  std::string name;
  StatusCode code;
  // For INVALID_ARGUMENT: the only field path the BadRequest detail lists.
  std::string field;
  // For other codes: text that the message must contain, such as the id
  // of the missing or conflicting resource.
  std::function<std::string(const World&)> named_value;
  RequestSender send;
};

// Prints a case by its name in gtest failure messages.
void PrintTo(const BadInputCase& bad_input, std::ostream* os) {
  *os << bad_input.name;
}

BadInputCase Invalid(std::string name, std::string field, RequestSender send) {
  return BadInputCase{std::move(name), StatusCode::INVALID_ARGUMENT,
                      std::move(field), nullptr, std::move(send)};
}

BadInputCase Failed(std::string name, StatusCode code,
                    std::function<std::string(const World&)> named_value,
                    RequestSender send) {
  return BadInputCase{std::move(name), code, "", std::move(named_value),
                      std::move(send)};
}

std::vector<BadInputCase> TenantServiceCases() {
  std::vector<BadInputCase> cases;
  const auto create_tenant = [](CreateTenantRequest request) {
    return [request](const World& world) {
      return SendShared(world.server->tenants(),
                        &TenantService::Stub::CreateTenant, request);
    };
  };
  const auto create_tenant_with_id = [&](const std::string& tenant_id) {
    CreateTenantRequest request = ValidCreateTenant();
    request.set_tenant_id(tenant_id);
    return create_tenant(request);
  };
  cases.push_back(
      Invalid("CreateTenantIdMissing", "tenant_id", create_tenant_with_id("")));
  cases.push_back(Invalid("CreateTenantIdUppercase", "tenant_id",
                          create_tenant_with_id("Gamma")));
  cases.push_back(Invalid("CreateTenantIdStartsWithDigit", "tenant_id",
                          create_tenant_with_id("1gamma")));
  cases.push_back(Invalid("CreateTenantIdPathTraversal", "tenant_id",
                          create_tenant_with_id("../gamma")));
  cases.push_back(Invalid("CreateTenantIdWithSlash", "tenant_id",
                          create_tenant_with_id("gamma/delta")));
  cases.push_back(Invalid("CreateTenantIdTooLong", "tenant_id",
                          create_tenant_with_id(Repeat('g', 64))));
  cases.push_back(Invalid("CreateTenantIdWithNul", "tenant_id",
                          create_tenant_with_id(WithNul("gam", "ma"))));
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.mutable_tenant()->clear_display_name();
    cases.push_back(Invalid("CreateTenantDisplayNameMissing",
                            "tenant.display_name", create_tenant(request)));
  }
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.mutable_tenant()->set_state(Tenant::DELETED);
    cases.push_back(Invalid("CreateTenantStateDeleted", "tenant.state",
                            create_tenant(request)));
  }
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.set_request_id("with space");
    cases.push_back(Invalid("CreateTenantRequestIdMalformed", "request_id",
                            create_tenant(request)));
  }
  cases.push_back(
      Invalid("UndeleteTenantNameMissing", "name", [](const World& world) {
        return SendShared(world.server->tenants(),
                          &TenantService::Stub::UndeleteTenant,
                          UndeleteTenantRequest());
      }));
  cases.push_back(
      Invalid("UndeleteTenantEtagLeadingZero", "etag", [](const World& world) {
        UndeleteTenantRequest request;
        request.set_name("tenants/alpha");
        request.set_etag("r01");
        return SendShared(world.server->tenants(),
                          &TenantService::Stub::UndeleteTenant, request);
      }));
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.mutable_tenant()->set_display_name("   ");
    cases.push_back(Invalid("CreateTenantDisplayNameOnlyWhitespace",
                            "tenant.display_name", create_tenant(request)));
  }
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.mutable_tenant()->set_display_name(
        Repeat('G', services::kMaxDisplayNameLength + 1));
    cases.push_back(Invalid("CreateTenantDisplayNameTooLong",
                            "tenant.display_name", create_tenant(request)));
  }
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.mutable_tenant()->set_display_name(WithNul("Gam", "ma"));
    cases.push_back(Invalid("CreateTenantDisplayNameWithNul",
                            "tenant.display_name", create_tenant(request)));
  }
  {
    CreateTenantRequest request = ValidCreateTenant();
    request.mutable_tenant()->set_state(static_cast<Tenant::State>(99));
    cases.push_back(Invalid("CreateTenantStateUnknown", "tenant.state",
                            create_tenant(request)));
  }

  cases.push_back(
      Invalid("GetTenantNameWrongCollection", "name", [](const World& world) {
        GetTenantRequest request;
        request.set_name("users/alpha");
        return SendShared(world.server->tenants(),
                          &TenantService::Stub::GetTenant, request);
      }));

  const auto update_tenant = [](UpdateTenantRequest request) {
    return [request](const World& world) {
      return SendShared(world.server->tenants(),
                        &TenantService::Stub::UpdateTenant, request);
    };
  };
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_tenant()->set_name("tenants/alpha/profiles");
    cases.push_back(Invalid("UpdateTenantNameMalformed", "tenant.name",
                            update_tenant(request)));
  }
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_update_mask()->add_paths("colour");
    cases.push_back(Invalid("UpdateTenantMaskUnknownPath", "update_mask",
                            update_tenant(request)));
  }
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_tenant()->set_state(static_cast<Tenant::State>(99));
    request.mutable_update_mask()->add_paths("state");
    cases.push_back(Invalid("UpdateTenantStateUnknown", "tenant.state",
                            update_tenant(request)));
  }
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_tenant()->set_state(Tenant::DELETED);
    request.mutable_update_mask()->add_paths("state");
    cases.push_back(Invalid("UpdateTenantStateDeleted", "tenant.state",
                            update_tenant(request)));
  }
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_update_mask()->add_paths("state");
    cases.push_back(Invalid("UpdateTenantStateUnspecifiedInMask",
                            "tenant.state", update_tenant(request)));
  }
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_tenant()->set_etag("abc");
    cases.push_back(Invalid("UpdateTenantEtagMalformed", "tenant.etag",
                            update_tenant(request)));
  }
  cases.push_back(
      Invalid("DeleteTenantEtagLeadingZero", "etag", [](const World& world) {
        DeleteTenantRequest request;
        request.set_name("tenants/alpha");
        request.set_etag("r01");
        return SendShared(world.server->tenants(),
                          &TenantService::Stub::DeleteTenant, request);
      }));

  const auto list_tenants = [](int32_t page_size,
                               std::function<std::string(const World&)> token) {
    return [page_size, token](const World& world) {
      ListTenantsRequest request;
      request.set_page_size(page_size);
      request.set_page_token(token(world));
      return SendShared(world.server->tenants(),
                        &TenantService::Stub::ListTenants, request);
    };
  };
  cases.push_back(Invalid("ListTenantsPageSizeNegative", "page_size",
                          list_tenants(-1, [](const World&) { return ""; })));
  cases.push_back(
      Invalid("ListTenantsPageTokenGarbage", "page_token",
              list_tenants(1, [](const World&) { return "not a token"; })));
  cases.push_back(Invalid("ListTenantsPageTokenFromListUsers", "page_token",
                          list_tenants(1, [](const World& world) {
                            return world.list_users_token;
                          })));
  cases.push_back(
      Invalid("CheckTenantDatabaseNameMissing", "name", [](const World& world) {
        return SendShared(world.server->tenants(),
                          &TenantService::Stub::CheckTenantDatabase,
                          CheckTenantDatabaseRequest());
      }));

  // NOT_FOUND and ALREADY_EXISTS.
  const auto ghost = [](const World&) { return std::string("ghost"); };
  cases.push_back(Failed("GetTenantUnregistered", StatusCode::NOT_FOUND, ghost,
                         [](const World& world) {
                           GetTenantRequest request;
                           request.set_name("tenants/ghost");
                           return SendShared(world.server->tenants(),
                                             &TenantService::Stub::GetTenant,
                                             request);
                         }));
  {
    UpdateTenantRequest request = ValidUpdateTenant();
    request.mutable_tenant()->set_name("tenants/ghost");
    cases.push_back(Failed("UpdateTenantUnregistered", StatusCode::NOT_FOUND,
                           ghost, update_tenant(request)));
  }
  cases.push_back(Failed("DeleteTenantUnregistered", StatusCode::NOT_FOUND,
                         ghost, [](const World& world) {
                           DeleteTenantRequest request;
                           request.set_name("tenants/ghost");
                           return SendShared(world.server->tenants(),
                                             &TenantService::Stub::DeleteTenant,
                                             request);
                         }));
  cases.push_back(Failed(
      "CheckTenantDatabaseUnregistered", StatusCode::NOT_FOUND, ghost,
      [](const World& world) {
        CheckTenantDatabaseRequest request;
        request.set_name("tenants/ghost");
        return SendShared(world.server->tenants(),
                          &TenantService::Stub::CheckTenantDatabase, request);
      }));
  cases.push_back(Failed(
      "CreateTenantDuplicateId", StatusCode::ALREADY_EXISTS,
      [](const World&) { return std::string("\"alpha\""); },
      create_tenant_with_id("alpha")));
  return cases;
}

std::vector<BadInputCase> UserServiceCases() {
  std::vector<BadInputCase> cases;
  const auto create_user = [](CreateUserRequest request) {
    return [request](const World& world) {
      return SendShared(world.server->users(), &UserService::Stub::CreateUser,
                        request);
    };
  };
  const auto create_user_with_email = [&](const std::string& email) {
    CreateUserRequest request = ValidCreateUser();
    request.mutable_user()->set_email(email);
    return create_user(request);
  };
  cases.push_back(Invalid("CreateUserEmailMissing", "user.email",
                          create_user_with_email("")));
  {
    CreateUserRequest request = ValidCreateUser();
    request.set_request_id(Repeat('r', 65));
    cases.push_back(Invalid("CreateUserRequestIdTooLong", "request_id",
                            create_user(request)));
  }
  cases.push_back(Invalid("CreateUserEmailWithoutAt", "user.email",
                          create_user_with_email("dan.example.com")));
  cases.push_back(Invalid("CreateUserEmailWithTwoAts", "user.email",
                          create_user_with_email("dan@home@example.com")));
  cases.push_back(Invalid("CreateUserEmailWithSpace", "user.email",
                          create_user_with_email("dan smith@example.com")));
  cases.push_back(Invalid("CreateUserEmailWithoutDomainDot", "user.email",
                          create_user_with_email("dan@localhost")));
  cases.push_back(Invalid("CreateUserEmailWithNul", "user.email",
                          create_user_with_email(WithNul("dan", "@x.com"))));
  // 255 bytes: one more than RFC 5321 allows.
  cases.push_back(Invalid(
      "CreateUserEmailTooLong", "user.email",
      create_user_with_email(absl::StrCat(Repeat('d', 243), "@example.com"))));
  cases.push_back(Invalid("CreateUserEmailEmptyDomainLabel", "user.email",
                          create_user_with_email("dan@example..com")));
  cases.push_back(Invalid("CreateUserEmailDomainStartsWithDot", "user.email",
                          create_user_with_email("dan@.example.com")));
  // A comma separates addresses in a mail header, so it must not pass as
  // part of one address.
  cases.push_back(Invalid("CreateUserEmailWithComma", "user.email",
                          create_user_with_email("dan,eve@example.com")));
  {
    CreateUserRequest request = ValidCreateUser();
    request.mutable_user()->clear_display_name();
    cases.push_back(Invalid("CreateUserDisplayNameMissing", "user.display_name",
                            create_user(request)));
  }
  cases.push_back(Invalid(
      "CreateUserEmailLocalPartTooLong", "user.email",
      create_user_with_email(absl::StrCat(Repeat('d', 65), "@example.com"))));
  {
    CreateUserRequest request = ValidCreateUser();
    request.mutable_user()->set_display_name(" \t\n ");
    cases.push_back(Invalid("CreateUserDisplayNameOnlyWhitespace",
                            "user.display_name", create_user(request)));
  }
  {
    CreateUserRequest request = ValidCreateUser();
    request.mutable_user()->set_display_name(
        Repeat('D', services::kMaxDisplayNameLength + 1));
    cases.push_back(Invalid("CreateUserDisplayNameTooLong", "user.display_name",
                            create_user(request)));
  }
  {
    CreateUserRequest request = ValidCreateUser();
    request.mutable_user()->set_display_name(WithNul("D", "an"));
    cases.push_back(Invalid("CreateUserDisplayNameWithNul", "user.display_name",
                            create_user(request)));
  }
  cases.push_back(Invalid("GetUserIdNotIssued", "name", [](const World& world) {
    GetUserRequest request;
    request.set_name("users/ann");
    return SendShared(world.server->users(), &UserService::Stub::GetUser,
                      request);
  }));

  const auto update_user =
      [](std::function<void(const World&, UpdateUserRequest&)> change) {
        return [change](const World& world) {
          UpdateUserRequest request = ValidUpdateUser(world);
          change(world, request);
          return SendShared(world.server->users(),
                            &UserService::Stub::UpdateUser, request);
        };
      };
  cases.push_back(
      Invalid("UpdateUserNameWrongCollection", "user.name",
              update_user([](const World&, UpdateUserRequest& request) {
                request.mutable_user()->set_name("tenants/alpha");
              })));
  cases.push_back(
      Invalid("UpdateUserMaskUnknownPath", "update_mask",
              update_user([](const World&, UpdateUserRequest& request) {
                request.mutable_update_mask()->add_paths("password");
              })));
  cases.push_back(
      Invalid("UpdateUserEtagMalformed", "user.etag",
              update_user([](const World&, UpdateUserRequest& request) {
                request.mutable_user()->set_etag("r-1");
              })));
  cases.push_back(
      Invalid("UpdateUserEmailInvalid", "user.email",
              update_user([](const World&, UpdateUserRequest& request) {
                request.mutable_user()->set_email("not-an-email");
                request.mutable_update_mask()->add_paths("email");
              })));
  cases.push_back(
      Invalid("UpdateUserDisplayNameCleared", "user.display_name",
              update_user([](const World&, UpdateUserRequest& request) {
                request.mutable_user()->clear_display_name();
              })));

  const auto list_users = [](int32_t page_size,
                             std::function<std::string(const World&)> token) {
    return [page_size, token](const World& world) {
      ListUsersRequest request;
      request.set_page_size(page_size);
      request.set_page_token(token(world));
      return SendShared(world.server->users(), &UserService::Stub::ListUsers,
                        request);
    };
  };
  cases.push_back(Invalid("ListUsersPageSizeNegative", "page_size",
                          list_users(-5, [](const World&) { return ""; })));
  cases.push_back(Invalid("ListUsersPageTokenFromListTenants", "page_token",
                          list_users(1, [](const World& world) {
                            return world.list_tenants_token;
                          })));

  // NOT_FOUND and ALREADY_EXISTS.
  const auto unknown_id = [](const World&) { return std::string(kUnknownId); };
  cases.push_back(Failed("GetUserUnknownId", StatusCode::NOT_FOUND, unknown_id,
                         [](const World& world) {
                           GetUserRequest request;
                           request.set_name(absl::StrCat("users/", kUnknownId));
                           return SendShared(world.server->users(),
                                             &UserService::Stub::GetUser,
                                             request);
                         }));
  cases.push_back(Failed(
      "UpdateUserUnknownId", StatusCode::NOT_FOUND, unknown_id,
      update_user([](const World&, UpdateUserRequest& request) {
        request.mutable_user()->set_name(absl::StrCat("users/", kUnknownId));
      })));
  cases.push_back(Failed(
      "CreateUserDuplicateEmailOtherCase", StatusCode::ALREADY_EXISTS,
      [](const World&) { return std::string("ANN@Example.com"); },
      create_user_with_email("ANN@Example.com")));
  cases.push_back(Failed(
      "UpdateUserEmailTaken", StatusCode::ALREADY_EXISTS,
      [](const World&) { return std::string("ann@example.com"); },
      update_user([](const World&, UpdateUserRequest& request) {
        request.mutable_user()->set_email("ann@example.com");
        request.mutable_update_mask()->add_paths("email");
      })));
  return cases;
}

std::vector<BadInputCase> ProfileServiceCases() {
  std::vector<BadInputCase> cases;
  using ProfileChange =
      std::function<void(const World&, CreateProfileRequest&)>;
  const auto create_profile = [](ProfileChange change) {
    return [change](const World& world) {
      CreateProfileRequest request = ValidCreateProfile(world);
      change(world, request);
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::CreateProfile, request);
    };
  };
  // Sets one field of the new profile; the other fields stay valid.
  const auto create_profile_with =
      [&](std::function<void(Profile&)> set_field) {
        return create_profile(
            [set_field](const World&, CreateProfileRequest& request) {
              set_field(*request.mutable_profile());
            });
      };

  cases.push_back(
      Invalid("CreateProfileParentMissing", "parent",
              create_profile([](const World&, CreateProfileRequest& request) {
                request.clear_parent();
              })));
  cases.push_back(
      Invalid("CreateProfileParentOfOtherTenant", "parent",
              create_profile([](const World&, CreateProfileRequest& request) {
                request.set_parent("tenants/beta");
              })));
  cases.push_back(Invalid(
      "CreateProfileUserMissing", "profile.user",
      create_profile_with([](Profile& profile) { profile.clear_user(); })));
  cases.push_back(Invalid(
      "CreateProfileUserWrongCollection", "profile.user",
      create_profile([](const World& world, CreateProfileRequest& request) {
        request.mutable_profile()->set_user(world.bob_alpha.name());
      })));
  cases.push_back(Invalid("CreateProfileFullNameTooLong", "profile.full_name",
                          create_profile_with([](Profile& profile) {
                            profile.set_full_name(
                                Repeat('C', services::kMaxFullNameLength + 1));
                          })));
  // 201 two-byte characters: the limit counts characters, not bytes.
  cases.push_back(
      Invalid("CreateProfileFullNameTooManyCharacters", "profile.full_name",
              create_profile_with([](Profile& profile) {
                std::string name;
                for (size_t i = 0; i <= services::kMaxFullNameLength; ++i) {
                  name += "\xc3\xa9";  // U+00E9
                }
                profile.set_full_name(name);
              })));
  cases.push_back(Invalid("CreateProfileFullNameWithNul", "profile.full_name",
                          create_profile_with([](Profile& profile) {
                            profile.set_full_name(WithNul("Cara", " Diaz"));
                          })));
  cases.push_back(Invalid("CreateProfileAddressTooLong", "profile.address",
                          create_profile_with([](Profile& profile) {
                            profile.set_address(
                                Repeat('a', services::kMaxAddressLength + 1));
                          })));
  cases.push_back(Invalid("CreateProfileBioTooLong", "profile.bio",
                          create_profile_with([](Profile& profile) {
                            profile.set_bio(
                                Repeat('b', services::kMaxBioLength + 1));
                          })));
  cases.push_back(Invalid("CreateProfilePhoneWithLetters", "profile.phone",
                          create_profile_with([](Profile& profile) {
                            profile.set_phone("call me");
                          })));
  cases.push_back(Invalid(
      "CreateProfilePhoneTooFewDigits", "profile.phone",
      create_profile_with([](Profile& profile) { profile.set_phone("12"); })));
  cases.push_back(Invalid("CreateProfilePhoneTooManyDigits", "profile.phone",
                          create_profile_with([](Profile& profile) {
                            profile.set_phone("+1234567890123456");
                          })));
  cases.push_back(Invalid("CreateProfilePhonePlusInside", "profile.phone",
                          create_profile_with([](Profile& profile) {
                            profile.set_phone("12+345");
                          })));
  cases.push_back(Invalid("CreateProfileAvatarUrlJavascript",
                          "profile.avatar_url",
                          create_profile_with([](Profile& profile) {
                            profile.set_avatar_url("javascript:alert(1)");
                          })));
  cases.push_back(Invalid("CreateProfileAvatarUrlFtp", "profile.avatar_url",
                          create_profile_with([](Profile& profile) {
                            profile.set_avatar_url(
                                "ftp://example.com/cara.png");
                          })));
  cases.push_back(
      Invalid("CreateProfileAvatarUrlDataScheme", "profile.avatar_url",
              create_profile_with([](Profile& profile) {
                profile.set_avatar_url("data:image/png;base64,iVBORw0KGgo=");
              })));
  cases.push_back(Invalid("CreateProfileAvatarUrlWithoutHost",
                          "profile.avatar_url",
                          create_profile_with([](Profile& profile) {
                            profile.set_avatar_url("https:///cara.png");
                          })));
  cases.push_back(Invalid("CreateProfileAvatarUrlTooLong", "profile.avatar_url",
                          create_profile_with([](Profile& profile) {
                            profile.set_avatar_url(absl::StrCat(
                                "https://example.com/",
                                Repeat('p', services::kMaxUrlLength)));
                          })));
  cases.push_back(Invalid("CreateProfileSlugUppercase", "profile.slug",
                          create_profile_with([](Profile& profile) {
                            profile.set_slug("Cara-Diaz");
                          })));
  cases.push_back(Invalid("CreateProfileSlugDoubleHyphen", "profile.slug",
                          create_profile_with([](Profile& profile) {
                            profile.set_slug("cara--diaz");
                          })));
  cases.push_back(Invalid("CreateProfileSlugTrailingHyphen", "profile.slug",
                          create_profile_with([](Profile& profile) {
                            profile.set_slug("cara-");
                          })));
  cases.push_back(Invalid("CreateProfileSlugTooLong", "profile.slug",
                          create_profile_with([](Profile& profile) {
                            profile.set_slug(
                                Repeat('c', services::kMaxSlugLength + 1));
                          })));
  cases.push_back(Invalid("CreateProfileDateOfBirthFebruary30",
                          "profile.date_of_birth",
                          create_profile_with([](Profile& profile) {
                            profile.set_date_of_birth("2001-02-30");
                          })));
  cases.push_back(Invalid("CreateProfileDateOfBirthFebruary29NotLeapYear",
                          "profile.date_of_birth",
                          create_profile_with([](Profile& profile) {
                            profile.set_date_of_birth("1900-02-29");
                          })));
  cases.push_back(Invalid("CreateProfileDateOfBirthMonth13",
                          "profile.date_of_birth",
                          create_profile_with([](Profile& profile) {
                            profile.set_date_of_birth("2001-13-01");
                          })));
  cases.push_back(Invalid("CreateProfileDateOfBirthInFuture",
                          "profile.date_of_birth",
                          create_profile_with([](Profile& profile) {
                            profile.set_date_of_birth("2999-01-01");
                          })));
  cases.push_back(Invalid("CreateProfileDateOfBirthWrongFormat",
                          "profile.date_of_birth",
                          create_profile_with([](Profile& profile) {
                            profile.set_date_of_birth("10/12/1815");
                          })));
  cases.push_back(Invalid("CreateProfileRoleUnknown", "profile.role",
                          create_profile_with([](Profile& profile) {
                            profile.set_role(
                                static_cast<tenantry::v1::Role>(99));
                            profile.clear_student_info();
                          })));
  cases.push_back(Invalid("CreateProfileVerificationStatusUnknown",
                          "profile.verification_status",
                          create_profile_with([](Profile& profile) {
                            profile.set_verification_status(
                                static_cast<Profile::VerificationStatus>(99));
                          })));
  cases.push_back(Invalid("CreateProfileVisibilityUnknown",
                          "profile.privacy_settings.visibility",
                          create_profile_with([](Profile& profile) {
                            profile.mutable_privacy_settings()->set_visibility(
                                static_cast<tenantry::v1::Visibility>(99));
                          })));
  cases.push_back(Invalid("CreateProfileSchoolTooLong",
                          "profile.student_info.school",
                          create_profile_with([](Profile& profile) {
                            profile.mutable_student_info()->set_school(
                                Repeat('s', services::kMaxShortTextLength + 1));
                          })));
  cases.push_back(
      Invalid("CreateProfileTeacherInfoWithStudentRole", "profile.teacher_info",
              create_profile_with([](Profile& profile) {
                profile.mutable_teacher_info()->set_subject("Physics");
              })));

  const auto get_profile = [](std::function<std::string(const World&)> name) {
    return [name](const World& world) {
      GetProfileRequest request;
      request.set_name(name(world));
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::GetProfile, request);
    };
  };
  cases.push_back(Invalid(
      "GetProfileNameOfDocument", "name", get_profile([](const World& world) {
        return absl::StrCat("tenants/alpha/documents/",
                            IdOf(world.alpha_report.name()));
      })));
  cases.push_back(Invalid(
      "GetProfileNameOfOtherTenant", "name",
      get_profile([](const World& world) { return world.ann_beta.name(); })));
  cases.push_back(
      Invalid("GetProfileIdNotIssued", "name", get_profile([](const World&) {
                return std::string("tenants/alpha/profiles/ann");
              })));

  using UpdateChange = std::function<void(const World&, UpdateProfileRequest&)>;
  const auto update_profile = [](absl::string_view mask_path,
                                 UpdateChange change) {
    return [mask_path = std::string(mask_path), change](const World& world) {
      UpdateProfileRequest request = ValidUpdateProfile(world, mask_path);
      change(world, request);
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::UpdateProfile, request);
    };
  };
  cases.push_back(Invalid(
      "UpdateProfileMaskUnknownPath", "update_mask",
      update_profile("nickname", [](const World&, UpdateProfileRequest&) {})));
  cases.push_back(Invalid(
      "UpdateProfileEtagMalformed", "profile.etag",
      update_profile("bio", [](const World&, UpdateProfileRequest& request) {
        request.mutable_profile()->set_etag("\"r1\"");
      })));
  cases.push_back(Invalid(
      "UpdateProfileBioTooLong", "profile.bio",
      update_profile("bio", [](const World&, UpdateProfileRequest& request) {
        request.mutable_profile()->set_bio(
            Repeat('b', services::kMaxBioLength + 1));
      })));
  cases.push_back(Invalid(
      "UpdateProfileAvatarUrlFtp", "profile.avatar_url",
      update_profile("avatarUrl", [](const World&,
                                     UpdateProfileRequest& request) {
        request.mutable_profile()->set_avatar_url("ftp://example.com/bob.png");
      })));
  cases.push_back(Invalid(
      "UpdateProfileVisibilityUnknown", "profile.privacy_settings.visibility",
      update_profile("privacy_settings.visibility",
                     [](const World&, UpdateProfileRequest& request) {
                       request.mutable_profile()
                           ->mutable_privacy_settings()
                           ->set_visibility(
                               static_cast<tenantry::v1::Visibility>(99));
                     })));
  cases.push_back(Invalid(
      "UpdateProfileStudentInfoWithoutRole", "profile.student_info",
      update_profile(
          "student_info", [](const World&, UpdateProfileRequest& request) {
            request.mutable_profile()->mutable_student_info()->set_school(
                "Tenantry High");
          })));
  cases.push_back(
      Invalid("UpdateProfileUserChanged", "profile.user",
              update_profile(
                  "bio", [](const World& world, UpdateProfileRequest& request) {
                    request.mutable_profile()->set_user(world.cara.name());
                  })));
  cases.push_back(
      Invalid("UpdateProfileNameOfOtherTenant", "profile.name",
              update_profile(
                  "bio", [](const World& world, UpdateProfileRequest& request) {
                    request.mutable_profile()->set_name(world.bob_beta.name());
                  })));

  const auto delete_profile = [](std::function<std::string(const World&)> name,
                                 std::string etag) {
    return [name, etag](const World& world) {
      DeleteProfileRequest request;
      request.set_name(name(world));
      request.set_etag(etag);
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::DeleteProfile, request);
    };
  };
  cases.push_back(Invalid(
      "DeleteProfileEtagMalformed", "etag",
      delete_profile([](const World& world) { return world.bob_alpha.name(); },
                     "latest")));
  cases.push_back(Invalid(
      "DeleteProfileNameOfDocument", "name",
      delete_profile(
          [](const World& world) { return world.alpha_report.name(); }, "")));

  using ListChange = std::function<void(const World&, ListProfilesRequest&)>;
  const auto list_profiles = [](ListChange change) {
    return [change](const World& world) {
      ListProfilesRequest request = AlphaListProfiles();
      change(world, request);
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::ListProfiles, request);
    };
  };
  cases.push_back(
      Invalid("ListProfilesPageSizeNegative", "page_size",
              list_profiles([](const World&, ListProfilesRequest& request) {
                request.set_page_size(-1);
              })));
  cases.push_back(
      Invalid("ListProfilesPageSizeMinimum", "page_size",
              list_profiles([](const World&, ListProfilesRequest& request) {
                request.set_page_size(std::numeric_limits<int32_t>::min());
              })));
  cases.push_back(Invalid(
      "ListProfilesPageTokenGarbage", "page_token",
      list_profiles([](const World&, ListProfilesRequest& request) {
        request.set_page_token("djE6Z2FyYmFnZQ");  // base64 of "v1:garbage"
      })));
  cases.push_back(Invalid(
      "ListProfilesPageTokenOfOtherTenant", "page_token",
      list_profiles([](const World& world, ListProfilesRequest& request) {
        request.set_page_token(world.beta_profiles_token);
      })));
  cases.push_back(Invalid(
      "ListProfilesPageTokenFromListDocuments", "page_token",
      list_profiles([](const World& world, ListProfilesRequest& request) {
        request.set_page_token(world.alpha_documents_token);
      })));
  const auto list_profiles_with_filter = [&](const std::string& filter) {
    return list_profiles([filter](const World&, ListProfilesRequest& request) {
      request.set_filter(filter);
    });
  };
  cases.push_back(Invalid("ListProfilesFilterUnknownField", "filter",
                          list_profiles_with_filter("age = 3")));
  cases.push_back(Invalid("ListProfilesFilterUnknownRole", "filter",
                          list_profiles_with_filter("role = ADMIN")));
  cases.push_back(Invalid("ListProfilesFilterWithoutEquals", "filter",
                          list_profiles_with_filter("role STUDENT")));
  cases.push_back(Invalid("ListProfilesFilterUnquotedSpace", "filter",
                          list_profiles_with_filter("slug = ann lee")));
  cases.push_back(Invalid("ListProfilesFilterEmptyValue", "filter",
                          list_profiles_with_filter("slug = \"\"")));
  cases.push_back(
      Invalid("ListProfilesFilterWithNul", "filter",
              list_profiles_with_filter(WithNul("slug = \"ann", "-lee\""))));

  using PostChange = std::function<void(const World&, CreatePostRequest&)>;
  const auto create_post = [](PostChange change) {
    return [change](const World& world) {
      CreatePostRequest request = ValidCreatePost(world);
      change(world, request);
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::CreatePost, request);
    };
  };
  cases.push_back(
      Invalid("CreatePostContentMissing", "post.content",
              create_post([](const World&, CreatePostRequest& request) {
                request.mutable_post()->clear_content();
              })));
  cases.push_back(
      Invalid("CreatePostContentTooLong", "post.content",
              create_post([](const World&, CreatePostRequest& request) {
                request.mutable_post()->set_content(
                    Repeat('p', services::kMaxPostLength + 1));
              })));
  cases.push_back(
      Invalid("CreatePostTooManyMediaUrls", "post.media_urls",
              create_post([](const World&, CreatePostRequest& request) {
                for (size_t i = 0; i <= services::kMaxMediaUrls; ++i) {
                  request.mutable_post()->add_media_urls(
                      absl::StrCat("https://example.com/", i, ".png"));
                }
              })));
  cases.push_back(Invalid(
      "CreatePostMediaUrlFtp", "post.media_urls[1]",
      create_post([](const World&, CreatePostRequest& request) {
        request.mutable_post()->add_media_urls("https://example.com/0.png");
        request.mutable_post()->add_media_urls("ftp://example.com/1.png");
      })));
  cases.push_back(
      Invalid("CreatePostMediaUrlEmpty", "post.media_urls[0]",
              create_post([](const World&, CreatePostRequest& request) {
                request.mutable_post()->add_media_urls("");
              })));
  cases.push_back(
      Invalid("CreatePostVisibilityUnknown", "post.visibility",
              create_post([](const World&, CreatePostRequest& request) {
                request.mutable_post()->set_visibility(
                    static_cast<tenantry::v1::Visibility>(99));
              })));
  cases.push_back(
      Invalid("CreatePostParentOfOtherTenant", "parent",
              create_post([](const World& world, CreatePostRequest& request) {
                request.set_parent(world.ann_beta.name());
              })));
  cases.push_back(Invalid(
      "ListPostsParentWrongCollection", "parent", [](const World& world) {
        ListPostsRequest request;
        request.set_parent(world.alpha_report.name());
        return SendAlpha(world.server->profiles(),
                         &ProfileService::Stub::ListPosts, request);
      }));
  const auto lookup = [](std::string parent, std::string user) {
    return [parent, user](const World& world) {
      LookupProfileByUserRequest request;
      request.set_parent(parent);
      request.set_user(user.empty() ? world.ann.name() : user);
      return SendAlpha(world.server->profiles(),
                       &ProfileService::Stub::LookupProfileByUser, request);
    };
  };
  cases.push_back(Invalid("LookupProfileByUserUserMalformed", "user",
                          lookup("tenants/alpha", "users/")));
  cases.push_back(Invalid("LookupProfileByUserParentOfOtherTenant", "parent",
                          lookup("tenants/beta", "")));

  // The x-tenant-id metadata.
  cases.push_back(Invalid(
      "ListProfilesTenantIdMissing", "x-tenant-id", [](const World& world) {
        return Send(world.server->profiles(),
                    &ProfileService::Stub::ListProfiles, AlphaListProfiles(),
                    TestServer::Context());
      }));
  cases.push_back(Invalid(
      "CreateProfileTenantIdTwice", "x-tenant-id", [](const World& world) {
        auto context = TestServer::TenantContext("alpha");
        context->AddMetadata("x-tenant-id", "alpha");
        return Send(world.server->profiles(),
                    &ProfileService::Stub::CreateProfile,
                    ValidCreateProfile(world), std::move(context));
      }));

  // NOT_FOUND and ALREADY_EXISTS.
  const auto unknown_id = [](const World&) { return std::string(kUnknownId); };
  cases.push_back(Failed(
      "CreateProfileUserUnknown", StatusCode::NOT_FOUND, unknown_id,
      create_profile([](const World&, CreateProfileRequest& request) {
        request.mutable_profile()->set_user(absl::StrCat("users/", kUnknownId));
      })));
  cases.push_back(Failed("GetProfileUnknownId", StatusCode::NOT_FOUND,
                         unknown_id, get_profile([](const World&) {
                           return absl::StrCat("tenants/alpha/profiles/",
                                               kUnknownId);
                         })));
  cases.push_back(Failed(
      "UpdateProfileUnknownId", StatusCode::NOT_FOUND, unknown_id,
      update_profile("bio", [](const World&, UpdateProfileRequest& request) {
        request.mutable_profile()->set_name(
            absl::StrCat("tenants/alpha/profiles/", kUnknownId));
      })));
  cases.push_back(Failed(
      "CreatePostProfileUnknown", StatusCode::NOT_FOUND, unknown_id,
      create_post([](const World&, CreatePostRequest& request) {
        request.set_parent(absl::StrCat("tenants/alpha/profiles/", kUnknownId));
      })));
  cases.push_back(Failed(
      "LookupProfileByUserUnknownUser", StatusCode::NOT_FOUND, unknown_id,
      lookup("tenants/alpha", absl::StrCat("users/", kUnknownId))));
  cases.push_back(Failed(
      "ListProfilesTenantUnregistered", StatusCode::NOT_FOUND,
      [](const World&) { return std::string("\"ghost\""); },
      [](const World& world) {
        ListProfilesRequest request;
        request.set_parent("tenants/ghost");
        return Send(world.server->profiles(),
                    &ProfileService::Stub::ListProfiles, request,
                    TestServer::TenantContext("ghost"));
      }));
  cases.push_back(Failed(
      "CreateProfileSecondForUser", StatusCode::ALREADY_EXISTS,
      [](const World& world) { return IdOf(world.ann.name()); },
      create_profile([](const World& world, CreateProfileRequest& request) {
        request.mutable_profile()->set_user(world.ann.name());
      })));
  const auto slug_taken = [](const World&) {
    return std::string("\"ann-lee\"");
  };
  cases.push_back(Failed("CreateProfileSlugTaken", StatusCode::ALREADY_EXISTS,
                         slug_taken, create_profile_with([](Profile& profile) {
                           profile.set_slug("ann-lee");
                         })));
  cases.push_back(Failed(
      "UpdateProfileSlugTaken", StatusCode::ALREADY_EXISTS, slug_taken,
      update_profile("slug", [](const World&, UpdateProfileRequest& request) {
        request.mutable_profile()->set_slug("ann-lee");
      })));
  return cases;
}

std::vector<BadInputCase> DocumentServiceCases() {
  std::vector<BadInputCase> cases;
  using CreateChange =
      std::function<void(const World&, CreateDocumentRequest&)>;
  const auto create_document = [](CreateChange change) {
    return [change](const World& world) {
      CreateDocumentRequest request = ValidCreateDocument();
      change(world, request);
      return SendAlpha(world.server->documents(),
                       &DocumentService::Stub::CreateDocument, request);
    };
  };
  cases.push_back(
      Invalid("CreateDocumentParentMissing", "parent",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.clear_parent();
              })));
  cases.push_back(
      Invalid("CreateDocumentParentMalformed", "parent",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.set_parent("tenants/alpha/");
              })));
  cases.push_back(
      Invalid("CreateDocumentTitleMissing", "document.title",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.mutable_document()->clear_title();
              })));
  cases.push_back(
      Invalid("CreateDocumentTitleTooLong", "document.title",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.mutable_document()->set_title(
                    Repeat('t', services::kMaxTitleLength + 1));
              })));
  cases.push_back(
      Invalid("CreateDocumentTitleWithNul", "document.title",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.mutable_document()->set_title(WithNul("Min", "utes"));
              })));
  cases.push_back(
      Invalid("CreateDocumentContentOverLimit", "document.content",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.mutable_document()->set_content(
                    Repeat('c', kMaxDocumentBytes + 1));
              })));
  cases.push_back(
      Invalid("CreateDocumentContentTypeTooLong", "document.content_type",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.mutable_document()->set_content_type(absl::StrCat(
                    "text/", Repeat('x', services::kMaxShortTextLength)));
              })));
  // A line break would let the value add a header wherever it is sent as
  // Content-Type.
  cases.push_back(
      Invalid("CreateDocumentContentTypeWithLineBreak", "document.content_type",
              create_document([](const World&, CreateDocumentRequest& request) {
                request.mutable_document()->set_content_type(
                    "text/plain\r\nX-Injected: 1");
              })));
  cases.push_back(Invalid(
      "CreateDocumentOwnerOfOtherTenant", "document.owner",
      create_document([](const World& world, CreateDocumentRequest& request) {
        request.mutable_document()->set_owner(world.ann_beta.name());
      })));
  cases.push_back(Invalid(
      "CreateDocumentOwnerIsUser", "document.owner",
      create_document([](const World& world, CreateDocumentRequest& request) {
        request.mutable_document()->set_owner(world.ann.name());
      })));

  const auto get_document = [](std::function<std::string(const World&)> name,
                               int view) {
    return [name, view](const World& world) {
      GetDocumentRequest request;
      request.set_name(name(world));
      request.set_view(static_cast<tenantry::v1::DocumentView>(view));
      return SendAlpha(world.server->documents(),
                       &DocumentService::Stub::GetDocument, request);
    };
  };
  cases.push_back(Invalid(
      "GetDocumentViewUnknown", "view",
      get_document([](const World& world) { return world.alpha_report.name(); },
                   99)));
  cases.push_back(Invalid(
      "GetDocumentNameOfProfile", "name",
      get_document([](const World& world) { return world.ann_alpha.name(); },
                   0)));

  using ListChange = std::function<void(const World&, ListDocumentsRequest&)>;
  const auto list_documents = [](ListChange change) {
    return [change](const World& world) {
      ListDocumentsRequest request = AlphaListDocuments();
      change(world, request);
      return SendAlpha(world.server->documents(),
                       &DocumentService::Stub::ListDocuments, request);
    };
  };
  cases.push_back(
      Invalid("ListDocumentsViewUnknown", "view",
              list_documents([](const World&, ListDocumentsRequest& request) {
                request.set_view(static_cast<tenantry::v1::DocumentView>(99));
              })));
  cases.push_back(
      Invalid("ListDocumentsPageSizeNegative", "page_size",
              list_documents([](const World&, ListDocumentsRequest& request) {
                request.set_page_size(-1);
              })));
  cases.push_back(Invalid(
      "ListDocumentsPageTokenFromOtherView", "page_token",
      list_documents([](const World& world, ListDocumentsRequest& request) {
        request.set_view(tenantry::v1::FULL);
        request.set_page_token(world.alpha_documents_token);
      })));
  cases.push_back(
      Invalid("ListDocumentsFilterUnknownField", "filter",
              list_documents([](const World&, ListDocumentsRequest& request) {
                request.set_filter("title = \"Report\"");
              })));
  cases.push_back(Invalid(
      "ListDocumentsFilterOwnerIsUser", "filter",
      list_documents([](const World& world, ListDocumentsRequest& request) {
        request.set_filter(absl::StrCat("owner = \"", world.ann.name(), "\""));
      })));
  cases.push_back(Invalid(
      "ListDocumentsFilterOwnerOfOtherTenant", "filter",
      list_documents([](const World& world, ListDocumentsRequest& request) {
        request.set_filter(
            absl::StrCat("owner = \"", world.ann_beta.name(), "\""));
      })));

  using UpdateChange = std::function<void(UpdateDocumentRequest&)>;
  const auto update_document = [](absl::string_view mask_path,
                                  UpdateChange change) {
    return [mask_path = std::string(mask_path), change](const World& world) {
      UpdateDocumentRequest request = ValidUpdateDocument(world, mask_path);
      change(request);
      return SendAlpha(world.server->documents(),
                       &DocumentService::Stub::UpdateDocument, request);
    };
  };
  cases.push_back(
      Invalid("UpdateDocumentContentOverLimit", "document.content",
              update_document("content", [](UpdateDocumentRequest& request) {
                request.mutable_document()->set_content(
                    Repeat('c', kMaxDocumentBytes + 1));
              })));
  cases.push_back(Invalid(
      "UpdateDocumentOwnerOfOtherTenant", "document.owner",
      [](const World& world) {
        UpdateDocumentRequest request = ValidUpdateDocument(world, "owner");
        request.mutable_document()->set_owner(world.ann_beta.name());
        return SendAlpha(world.server->documents(),
                         &DocumentService::Stub::UpdateDocument, request);
      }));
  cases.push_back(
      Invalid("UpdateDocumentTitleCleared", "document.title",
              update_document("title", [](UpdateDocumentRequest&) {})));
  cases.push_back(
      Invalid("UpdateDocumentMaskUnknownPath", "update_mask",
              update_document("author", [](UpdateDocumentRequest&) {})));
  cases.push_back(
      Invalid("UpdateDocumentEtagMalformed", "document.etag",
              update_document("title", [](UpdateDocumentRequest& request) {
                request.mutable_document()->set_title("Notes v2");
                request.mutable_document()->set_etag("r1a");
              })));

  const auto delete_document = [](std::function<std::string(const World&)> name,
                                  std::string etag) {
    return [name, etag](const World& world) {
      DeleteDocumentRequest request;
      request.set_name(name(world));
      request.set_etag(etag);
      return SendAlpha(world.server->documents(),
                       &DocumentService::Stub::DeleteDocument, request);
    };
  };
  cases.push_back(Invalid(
      "DeleteDocumentNameOfOtherTenant", "name",
      delete_document(
          [](const World& world) { return world.beta_report.name(); }, "")));
  cases.push_back(Invalid(
      "DeleteDocumentEtagMalformed", "etag",
      delete_document(
          [](const World& world) { return world.alpha_notes.name(); }, "r")));

  // The x-tenant-id metadata.
  cases.push_back(Invalid(
      "CreateDocumentTenantIdUppercase", "x-tenant-id", [](const World& world) {
        return Send(world.server->documents(),
                    &DocumentService::Stub::CreateDocument,
                    ValidCreateDocument(), TestServer::TenantContext("ALPHA"));
      }));

  // NOT_FOUND.
  const auto unknown_id = [](const World&) { return std::string(kUnknownId); };
  cases.push_back(
      Failed("CreateDocumentOwnerUnknown", StatusCode::NOT_FOUND, unknown_id,
             create_document([](const World&, CreateDocumentRequest& request) {
               request.mutable_document()->set_owner(
                   absl::StrCat("tenants/alpha/profiles/", kUnknownId));
             })));
  cases.push_back(
      Failed("GetDocumentUnknownId", StatusCode::NOT_FOUND, unknown_id,
             get_document(
                 [](const World&) {
                   return absl::StrCat("tenants/alpha/documents/", kUnknownId);
                 },
                 0)));
  cases.push_back(
      Failed("DeleteDocumentUnknownId", StatusCode::NOT_FOUND, unknown_id,
             delete_document(
                 [](const World&) {
                   return absl::StrCat("tenants/alpha/documents/", kUnknownId);
                 },
                 "")));
  return cases;
}

std::vector<BadInputCase> AllCases() {
  std::vector<BadInputCase> cases;
  for (auto* group : {&TenantServiceCases, &UserServiceCases,
                      &ProfileServiceCases, &DocumentServiceCases}) {
    for (BadInputCase& bad_input : (*group)()) {
      cases.push_back(std::move(bad_input));
    }
  }
  return cases;
}

// Returns the google.rpc.BadRequest detail of `status`, or nullopt if it
// has none.
std::optional<google::rpc::BadRequest> BadRequestOf(
    const grpc::Status& status, google::rpc::Status* details) {
  if (!details->ParseFromString(status.error_details())) return std::nullopt;
  for (const google::protobuf::Any& any : details->details()) {
    if (any.type_url() != kBadRequestTypeUrl) continue;
    google::rpc::BadRequest bad_request;
    if (!bad_request.ParseFromString(any.value())) return std::nullopt;
    return bad_request;
  }
  return std::nullopt;
}

// Checks that `status` carries a google.rpc.BadRequest detail whose only
// violation names `field`, and that the message names it too.
void ExpectOneFieldViolation(const grpc::Status& status,
                             const std::string& field) {
  google::rpc::Status details;
  const std::optional<google::rpc::BadRequest> bad_request =
      BadRequestOf(status, &details);
  ASSERT_TRUE(bad_request.has_value())
      << "no google.rpc.BadRequest detail in: " << status.error_message();
  EXPECT_EQ(details.code(), static_cast<int>(StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(details.message(), status.error_message());
  ASSERT_EQ(bad_request->field_violations_size(), 1)
      << bad_request->ShortDebugString();
  EXPECT_EQ(bad_request->field_violations(0).field(), field);
  EXPECT_FALSE(bad_request->field_violations(0).description().empty());
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat(field, ": ")));
}

// Appends every resource that the API returns, and every file of the data
// directory with its size, to one text. Two equal snapshots mean that
// nothing was written in between.
std::string SnapshotState(TestServer& server) {
  std::string snapshot;
  const auto record = [&snapshot](absl::string_view what,
                                  const grpc::Status& status,
                                  const google::protobuf::Message& response) {
    absl::StrAppend(&snapshot, what,
                    " code=", static_cast<int>(status.error_code()), " ",
                    response.ShortDebugString(), "\n");
  };

  ListTenantsRequest list_tenants;
  list_tenants.set_page_size(1000);
  ListTenantsResponse tenants;
  record("tenants",
         server.tenants().ListTenants(TestServer::Context().get(), list_tenants,
                                      &tenants),
         tenants);
  ListUsersRequest list_users;
  list_users.set_page_size(1000);
  ListUsersResponse users;
  record(
      "users",
      server.users().ListUsers(TestServer::Context().get(), list_users, &users),
      users);

  for (const Tenant& tenant : tenants.tenants()) {
    const std::string tenant_id = IdOf(tenant.name());
    ListProfilesRequest list_profiles;
    list_profiles.set_parent(tenant.name());
    list_profiles.set_page_size(1000);
    ListProfilesResponse profiles;
    record(tenant.name(),
           server.profiles().ListProfiles(
               TestServer::TenantContext(tenant_id).get(), list_profiles,
               &profiles),
           profiles);
    for (const Profile& profile : profiles.profiles()) {
      ListPostsRequest list_posts;
      list_posts.set_parent(profile.name());
      list_posts.set_page_size(1000);
      ListPostsResponse posts;
      record(
          profile.name(),
          server.profiles().ListPosts(
              TestServer::TenantContext(tenant_id).get(), list_posts, &posts),
          posts);
    }
    ListDocumentsRequest list_documents;
    list_documents.set_parent(tenant.name());
    list_documents.set_page_size(1000);
    list_documents.set_view(tenantry::v1::FULL);
    ListDocumentsResponse documents;
    record(tenant.name(),
           server.documents().ListDocuments(
               TestServer::TenantContext(tenant_id).get(), list_documents,
               &documents),
           documents);
  }

  for (const std::filesystem::directory_entry& entry :
       std::filesystem::recursive_directory_iterator(server.data_dir())) {
    absl::StrAppend(
        &snapshot, "file ",
        std::filesystem::relative(entry.path(), server.data_dir()).string(),
        " size=", entry.is_regular_file() ? entry.file_size() : 0, "\n");
  }
  return snapshot;
}

// Fails the test, listing the lines that differ, unless the two snapshots
// are equal.
void ExpectSameState(const std::string& before, const std::string& after) {
  if (before == after) return;
  const std::vector<std::string> before_lines = absl::StrSplit(before, '\n');
  const std::vector<std::string> after_lines = absl::StrSplit(after, '\n');
  const std::set<std::string> before_set(before_lines.begin(),
                                         before_lines.end());
  const std::set<std::string> after_set(after_lines.begin(), after_lines.end());
  std::string difference;
  for (const std::string& line : before_lines) {
    if (after_set.count(line) == 0)
      absl::StrAppend(&difference, "- ", line, "\n");
  }
  for (const std::string& line : after_lines) {
    if (before_set.count(line) == 0)
      absl::StrAppend(&difference, "+ ", line, "\n");
  }
  ADD_FAILURE() << "the request changed the stored state:\n" << difference;
}

class BadInputTest : public ::testing::TestWithParam<BadInputCase> {
 protected:
  static void SetUpTestSuite() {
    services::ServerOptions options;
    options.max_document_bytes = kMaxDocumentBytes;
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    world_ = new World();
    BuildWorld(*server_, *world_);
  }

  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
    delete server_;
    server_ = nullptr;
  }

  // Creates the resources of `world` and reads the page tokens.
  static void BuildWorld(TestServer& server, World& world) {
    world.server = &server;
    server.CreateTenant("alpha");
    server.CreateTenant("beta");
    world.ann = server.CreateUser("ann@example.com");
    world.bob = server.CreateUser("bob@example.com");
    world.cara = server.CreateUser("cara@example.com");

    Profile ann;
    ann.set_user(world.ann.name());
    ann.set_full_name("Ann Lee");
    ann.set_slug("ann-lee");
    world.ann_alpha = server.CreateProfile("alpha", ann);
    Profile bob;
    bob.set_user(world.bob.name());
    bob.set_full_name("Bob Stone");
    world.bob_alpha = server.CreateProfile("alpha", bob);
    world.ann_beta = server.CreateProfile("beta", ann);
    world.bob_beta = server.CreateProfile("beta", bob);

    CreatePostRequest post = ValidCreatePost(world);
    Post created_post;
    const grpc::Status post_status = server.profiles().CreatePost(
        TestServer::TenantContext("alpha").get(), post, &created_post);
    ASSERT_TRUE(post_status.ok()) << post_status.error_message();

    Document report;
    report.set_title("Report");
    report.set_content("Quarterly numbers.");
    report.set_owner(world.ann_alpha.name());
    world.alpha_report = server.CreateDocument("alpha", report);
    Document notes;
    notes.set_title("Notes");
    notes.set_content("Call the printer.");
    world.alpha_notes = server.CreateDocument("alpha", notes);
    report.set_owner(world.ann_beta.name());
    world.beta_report = server.CreateDocument("beta", report);

    ListTenantsRequest list_tenants;
    list_tenants.set_page_size(1);
    ListTenantsResponse tenants;
    ASSERT_TRUE(
        server.tenants()
            .ListTenants(TestServer::Context().get(), list_tenants, &tenants)
            .ok());
    world.list_tenants_token = tenants.next_page_token();
    ListUsersRequest list_users;
    list_users.set_page_size(1);
    ListUsersResponse users;
    ASSERT_TRUE(server.users()
                    .ListUsers(TestServer::Context().get(), list_users, &users)
                    .ok());
    world.list_users_token = users.next_page_token();
    ListDocumentsRequest list_documents = AlphaListDocuments();
    list_documents.set_page_size(1);
    ListDocumentsResponse documents;
    ASSERT_TRUE(server.documents()
                    .ListDocuments(TestServer::TenantContext("alpha").get(),
                                   list_documents, &documents)
                    .ok());
    world.alpha_documents_token = documents.next_page_token();
    ListProfilesRequest list_profiles;
    list_profiles.set_parent("tenants/beta");
    list_profiles.set_page_size(1);
    ListProfilesResponse profiles;
    ASSERT_TRUE(server.profiles()
                    .ListProfiles(TestServer::TenantContext("beta").get(),
                                  list_profiles, &profiles)
                    .ok());
    world.beta_profiles_token = profiles.next_page_token();

    for (const std::string* token :
         {&world.list_tenants_token, &world.list_users_token,
          &world.alpha_documents_token, &world.beta_profiles_token}) {
      ASSERT_FALSE(token->empty()) << "a list of 2 or more items with "
                                      "page_size 1 returned no page token";
    }
  }

  static TestServer* server_;
  static World* world_;
};

TestServer* BadInputTest::server_ = nullptr;
World* BadInputTest::world_ = nullptr;

TEST_P(BadInputTest, RejectedWithoutWrites) {
  ASSERT_NE(world_, nullptr);
  const BadInputCase& bad_input = GetParam();
  const std::string before = SnapshotState(*server_);

  const grpc::Status status = bad_input.send(*world_);
  const std::string after = SnapshotState(*server_);

  EXPECT_EQ(status.error_code(), bad_input.code) << status.error_message();
  if (bad_input.code == StatusCode::INVALID_ARGUMENT) {
    ExpectOneFieldViolation(status, bad_input.field);
  } else {
    EXPECT_THAT(status.error_message(),
                HasSubstr(bad_input.named_value(*world_)));
  }
  ExpectSameState(before, after);
}

INSTANTIATE_TEST_SUITE_P(
    AllServices, BadInputTest, ::testing::ValuesIn(AllCases()),
    [](const ::testing::TestParamInfo<BadInputCase>& info) {
      return info.param.name;
    });

// Sends CreateUser with invalid UTF-8 in a string field, which protobuf
// cannot parse, and returns the status. The call writes nothing if
// `state_before` equals `state_after`.
grpc::Status CreateUserWithInvalidUtf8(TestServer& server,
                                       std::string* state_before,
                                       std::string* state_after) {
  *state_before = SnapshotState(server);
  CreateUserRequest request = ValidCreateUser();
  // 0xff never occurs in UTF-8. The client serializes it anyway, after
  // logging an error.
  request.mutable_user()->set_display_name("Dan \xff");
  const grpc::Status status =
      SendShared(server.users(), &UserService::Stub::CreateUser, request);
  *state_after = SnapshotState(server);
  return status;
}

// gRPC rejects such a request with INTERNAL before any handler runs, and the
// interceptor turns that into INVALID_ARGUMENT.
TEST(UnparsableRequestTest, InvalidUtf8RejectedWithoutWrites) {
  absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::string before;
  std::string after;

  const grpc::Status status =
      CreateUserWithInvalidUtf8(**server, &before, &after);

  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("UTF-8"));
  ExpectSameState(before, after);
}

// Known gap: the INVALID_ARGUMENT that the interceptor makes for an
// unparsable request has no google.rpc.BadRequest detail.
TEST(UnparsableRequestTest, InvalidUtf8HasBadRequestDetail) {
  absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::string before;
  std::string after;

  const grpc::Status status =
      CreateUserWithInvalidUtf8(**server, &before, &after);

  google::rpc::Status details;
  const std::optional<google::rpc::BadRequest> bad_request =
      BadRequestOf(status, &details);
  ASSERT_TRUE(bad_request.has_value())
      << "no google.rpc.BadRequest detail in: " << status.error_message();
  EXPECT_EQ(bad_request->field_violations_size(), 1)
      << bad_request->ShortDebugString();
}

// Case names must be unique for gtest, and the table must keep at least
// 40 distinct INVALID_ARGUMENT inputs.
TEST(BadInputTableTest, HasEnoughDistinctCases) {
  std::set<std::string> names;
  int invalid_argument_cases = 0;
  for (const BadInputCase& bad_input : AllCases()) {
    EXPECT_TRUE(names.insert(bad_input.name).second) << bad_input.name;
    if (bad_input.code == StatusCode::INVALID_ARGUMENT) {
      ++invalid_argument_cases;
    }
  }
  EXPECT_GE(invalid_argument_cases, 40);
}

}  // namespace
}  // namespace tenantry::tests
