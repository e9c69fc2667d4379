#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/ids.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreatePostRequest;
using tenantry::v1::CreateProfileRequest;
using tenantry::v1::DeleteProfileRequest;
using tenantry::v1::Document;
using tenantry::v1::GetDocumentRequest;
using tenantry::v1::GetProfileRequest;
using tenantry::v1::ListPostsRequest;
using tenantry::v1::ListPostsResponse;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::LookupProfileByUserRequest;
using tenantry::v1::LookupProfileByUserResponse;
using tenantry::v1::Post;
using tenantry::v1::Profile;
using tenantry::v1::UpdateProfileRequest;
using tenantry::v1::User;

constexpr char kTenant[] = "acme";

// A STUDENT profile of `user` with every writable field set.
Profile FullStudentProfile(const std::string& user) {
  Profile profile;
  profile.set_user(user);
  profile.set_full_name("Ada Lovelace");
  profile.set_phone("+44 (20) 7946-0000");
  profile.set_address("12 St James's Square, London");
  profile.set_bio("Writes programs for the Analytical Engine.");
  profile.set_avatar_url("https://example.com/ada.png");
  profile.set_role(tenantry::v1::STUDENT);
  profile.mutable_student_info()->set_school("King's College");
  profile.mutable_student_info()->set_class_name("10A");
  profile.mutable_student_info()->set_major("Mathematics");
  profile.mutable_student_info()->set_academic_year("2025-2026");
  profile.set_slug("ada-lovelace");
  profile.set_date_of_birth("1815-12-10");
  return profile;
}

class ProfileServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant(kTenant);
    user_ = server_->CreateUser("ada@example.com");
  }

  grpc::Status CreateProfile(const Profile& profile, Profile* created) {
    CreateProfileRequest request;
    request.set_parent(TenantName(kTenant));
    *request.mutable_profile() = profile;
    return server_->profiles().CreateProfile(
        TestServer::TenantContext(kTenant).get(), request, created);
  }

  grpc::Status GetProfile(absl::string_view name, Profile* profile) {
    GetProfileRequest request;
    request.set_name(std::string(name));
    return server_->profiles().GetProfile(
        TestServer::TenantContext(kTenant).get(), request, profile);
  }

  grpc::Status UpdateProfile(const UpdateProfileRequest& request,
                             Profile* profile) {
    return server_->profiles().UpdateProfile(
        TestServer::TenantContext(kTenant).get(), request, profile);
  }

  // Updates the fields of `profile` named in `mask_paths`, or the fields
  // set in `profile` if `mask_paths` is empty.
  grpc::Status UpdateProfile(const Profile& profile,
                             const std::vector<std::string>& mask_paths,
                             Profile* updated) {
    UpdateProfileRequest request;
    *request.mutable_profile() = profile;
    for (const std::string& path : mask_paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    return UpdateProfile(request, updated);
  }

  grpc::Status DeleteProfile(absl::string_view name, absl::string_view etag) {
    DeleteProfileRequest request;
    request.set_name(std::string(name));
    request.set_etag(std::string(etag));
    google::protobuf::Empty response;
    return server_->profiles().DeleteProfile(
        TestServer::TenantContext(kTenant).get(), request, &response);
  }

  grpc::Status ListProfiles(absl::string_view filter,
                            ListProfilesResponse* response) {
    ListProfilesRequest request;
    request.set_parent(TenantName(kTenant));
    request.set_filter(std::string(filter));
    return server_->profiles().ListProfiles(
        TestServer::TenantContext(kTenant).get(), request, response);
  }

  grpc::Status CreatePost(absl::string_view parent, const Post& post,
                          Post* created) {
    CreatePostRequest request;
    request.set_parent(std::string(parent));
    *request.mutable_post() = post;
    return server_->profiles().CreatePost(
        TestServer::TenantContext(kTenant).get(), request, created);
  }

  grpc::Status ListPosts(absl::string_view parent,
                         ListPostsResponse* response) {
    ListPostsRequest request;
    request.set_parent(std::string(parent));
    return server_->profiles().ListPosts(
        TestServer::TenantContext(kTenant).get(), request, response);
  }

  // Creates the full STUDENT profile of the fixture's user.
  Profile CreateFullStudentProfile() {
    return server_->CreateProfile(kTenant, FullStudentProfile(user_.name()));
  }

  Post CreatePostWithContent(absl::string_view parent,
                             absl::string_view content) {
    Post post;
    post.set_content(std::string(content));
    Post created;
    const grpc::Status status = CreatePost(parent, post, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
        << status.error_message();
    return created;
  }

  std::unique_ptr<TestServer> server_;
  User user_;
};

TEST_F(ProfileServiceTest, CreateProfileReturnsRequestedFields) {
  Profile profile;

  const grpc::Status status =
      CreateProfile(FullStudentProfile(user_.name()), &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  absl::string_view id = profile.name();
  EXPECT_TRUE(absl::ConsumePrefix(&id, "tenants/acme/profiles/"))
      << profile.name();
  EXPECT_TRUE(storage::IsResourceId(id)) << profile.name();
  EXPECT_EQ(profile.user(), user_.name());
  EXPECT_EQ(profile.full_name(), "Ada Lovelace");
  EXPECT_EQ(profile.phone(), "+44 (20) 7946-0000");
  EXPECT_EQ(profile.address(), "12 St James's Square, London");
  EXPECT_EQ(profile.bio(), "Writes programs for the Analytical Engine.");
  EXPECT_EQ(profile.avatar_url(), "https://example.com/ada.png");
  EXPECT_EQ(profile.role(), tenantry::v1::STUDENT);
  EXPECT_EQ(profile.student_info().school(), "King's College");
  EXPECT_EQ(profile.student_info().class_name(), "10A");
  EXPECT_EQ(profile.student_info().major(), "Mathematics");
  EXPECT_EQ(profile.student_info().academic_year(), "2025-2026");
  EXPECT_FALSE(profile.has_teacher_info());
  EXPECT_EQ(profile.slug(), "ada-lovelace");
  EXPECT_EQ(profile.date_of_birth(), "1815-12-10");
  EXPECT_FALSE(profile.etag().empty());
  EXPECT_GT(profile.create_time().seconds(), 0);
}

TEST_F(ProfileServiceTest, CreateProfileAppliesPrivacyDefaults) {
  Profile request;
  request.set_user(user_.name());
  Profile profile;

  const grpc::Status status = CreateProfile(request, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.privacy_settings().visibility(), tenantry::v1::PUBLIC);
  ASSERT_TRUE(profile.privacy_settings().has_show_contact());
  EXPECT_FALSE(profile.privacy_settings().show_contact().value());
  ASSERT_TRUE(profile.privacy_settings().has_allow_interaction());
  EXPECT_TRUE(profile.privacy_settings().allow_interaction().value());
}

TEST_F(ProfileServiceTest, CreateProfileDefaultsToUnverified) {
  Profile request;
  request.set_user(user_.name());
  Profile profile;

  const grpc::Status status = CreateProfile(request, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.verification_status(), Profile::UNVERIFIED);
  EXPECT_EQ(profile.role(), tenantry::v1::ROLE_UNSPECIFIED);
}

TEST_F(ProfileServiceTest, CreateProfileKeepsExplicitPrivacySettings) {
  Profile request;
  request.set_user(user_.name());
  request.mutable_privacy_settings()->set_visibility(tenantry::v1::PRIVATE);
  request.mutable_privacy_settings()->mutable_show_contact()->set_value(true);
  request.mutable_privacy_settings()->mutable_allow_interaction()->set_value(
      false);
  Profile profile;

  const grpc::Status status = CreateProfile(request, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.privacy_settings().visibility(), tenantry::v1::PRIVATE);
  EXPECT_TRUE(profile.privacy_settings().show_contact().value());
  EXPECT_FALSE(profile.privacy_settings().allow_interaction().value());
}

TEST_F(ProfileServiceTest, CreateProfileForUnknownUserReturnsNotFound) {
  Profile request;
  request.set_user(absl::StrCat("users/", storage::NewResourceId()));
  Profile profile;

  const grpc::Status status = CreateProfile(request, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ProfileServiceTest, CreateProfileWithMalformedUserReturnsInvalid) {
  const std::string malformed_users[] = {
      "",
      "users/ada",
      "ada@example.com",
      user_.name().substr(6),
      absl::StrCat("tenants/acme/", user_.name()),
  };
  for (const std::string& user : malformed_users) {
    SCOPED_TRACE(absl::StrCat("user \"", user, "\""));
    Profile request;
    request.set_user(user);
    Profile profile;

    const grpc::Status status = CreateProfile(request, &profile);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(ProfileServiceTest, CreateSecondProfileForUserReturnsAlreadyExists) {
  Profile request;
  request.set_user(user_.name());
  server_->CreateProfile(kTenant, request);
  Profile profile;

  const grpc::Status status = CreateProfile(request, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
}

TEST_F(ProfileServiceTest, CreateProfileWithTakenSlugReturnsAlreadyExists) {
  CreateFullStudentProfile();
  Profile request;
  request.set_user(server_->CreateUser("bob@example.com").name());
  request.set_slug("ada-lovelace");
  Profile profile;

  const grpc::Status status = CreateProfile(request, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
}

TEST_F(ProfileServiceTest, CreateProfilesWithoutSlugSucceed) {
  Profile first;
  first.set_user(user_.name());
  server_->CreateProfile(kTenant, first);
  Profile second;
  second.set_user(server_->CreateUser("bob@example.com").name());
  Profile profile;

  const grpc::Status status = CreateProfile(second, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.slug(), "");
}

TEST_F(ProfileServiceTest, CreateProfileWithInvalidFieldReturnsInvalid) {
  struct Case {
    std::string description;
    void (*apply)(Profile& profile);
  };
  const Case cases[] = {
      {"phone with letters", [](Profile& p) { p.set_phone("call me maybe"); }},
      {"phone with two digits", [](Profile& p) { p.set_phone("12"); }},
      {"phone with inner plus", [](Profile& p) { p.set_phone("12+345"); }},
      {"avatar_url without scheme",
       [](Profile& p) { p.set_avatar_url("example.com/a.png"); }},
      {"avatar_url with ftp scheme",
       [](Profile& p) { p.set_avatar_url("ftp://example.com/a.png"); }},
      {"slug with uppercase", [](Profile& p) { p.set_slug("Ada"); }},
      {"slug with underscore", [](Profile& p) { p.set_slug("ada_l"); }},
      {"slug with double dash", [](Profile& p) { p.set_slug("ada--l"); }},
      {"slug ending in dash", [](Profile& p) { p.set_slug("ada-"); }},
      {"slug of 64 characters",
       [](Profile& p) { p.set_slug(std::string(64, 'a')); }},
      {"date_of_birth in other format",
       [](Profile& p) { p.set_date_of_birth("10/12/1815"); }},
      {"date_of_birth that does not exist",
       [](Profile& p) { p.set_date_of_birth("2019-02-29"); }},
      {"date_of_birth in the future",
       [](Profile& p) { p.set_date_of_birth("2999-01-01"); }},
      {"full_name of 201 bytes",
       [](Profile& p) { p.set_full_name(std::string(201, 'a')); }},
      {"address of 501 bytes",
       [](Profile& p) { p.set_address(std::string(501, 'a')); }},
      {"bio of 5001 bytes",
       [](Profile& p) { p.set_bio(std::string(5001, 'a')); }},
      {"unknown role",
       [](Profile& p) { p.set_role(static_cast<tenantry::v1::Role>(9)); }},
      {"unknown verification_status",
       [](Profile& p) {
         p.set_verification_status(static_cast<Profile::VerificationStatus>(9));
       }},
      {"unknown visibility",
       [](Profile& p) {
         p.mutable_privacy_settings()->set_visibility(
             static_cast<tenantry::v1::Visibility>(9));
       }},
      {"student_info without role STUDENT",
       [](Profile& p) { p.mutable_student_info()->set_school("Eton"); }},
      {"teacher_info with role STUDENT",
       [](Profile& p) {
         p.set_role(tenantry::v1::STUDENT);
         p.mutable_teacher_info()->set_subject("Math");
       }},
      {"student_info.school of 201 bytes",
       [](Profile& p) {
         p.set_role(tenantry::v1::STUDENT);
         p.mutable_student_info()->set_school(std::string(201, 's'));
       }},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.description);
    Profile request;
    request.set_user(user_.name());
    test_case.apply(request);
    Profile profile;

    const grpc::Status status = CreateProfile(request, &profile);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
  ListProfilesResponse profiles;
  ASSERT_EQ(ListProfiles("", &profiles).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(profiles.profiles_size(), 0);
}

TEST_F(ProfileServiceTest, CreateProfileWithMalformedParentReturnsInvalid) {
  const std::string malformed_parents[] = {"", "acme", "tenants/",
                                           "tenants/Acme", "tenants/acme/x"};
  for (const std::string& parent : malformed_parents) {
    SCOPED_TRACE(absl::StrCat("parent \"", parent, "\""));
    CreateProfileRequest request;
    request.set_parent(parent);
    request.mutable_profile()->set_user(user_.name());
    Profile profile;

    const grpc::Status status = server_->profiles().CreateProfile(
        TestServer::TenantContext(kTenant).get(), request, &profile);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(ProfileServiceTest, GetProfileReturnsCreatedProfile) {
  const Profile created = CreateFullStudentProfile();
  Profile profile;

  const grpc::Status status = GetProfile(created.name(), &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.name(), created.name());
  EXPECT_EQ(profile.user(), user_.name());
  EXPECT_EQ(profile.full_name(), "Ada Lovelace");
  EXPECT_EQ(profile.student_info().school(), "King's College");
  EXPECT_EQ(profile.etag(), created.etag());
  EXPECT_EQ(profile.create_time().seconds(), created.create_time().seconds());
  EXPECT_EQ(profile.create_time().nanos(), created.create_time().nanos());
}

TEST_F(ProfileServiceTest, GetMissingProfileReturnsNotFound) {
  Profile profile;

  const grpc::Status status = GetProfile(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()),
      &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ProfileServiceTest, FullNameLimitCountsCharactersNotBytes) {
  Profile profile;
  profile.set_user(user_.name());
  std::string name;
  // 200 two-byte characters: at the limit of 200 characters.
  for (int i = 0; i < 200; ++i) name += "\xc3\x89";
  profile.set_full_name(name);
  Profile created;

  const grpc::Status status = CreateProfile(profile, &created);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(created.full_name(), name);
}

TEST_F(ProfileServiceTest, FullNameOverLimitNamesCharacters) {
  Profile profile;
  profile.set_user(user_.name());
  profile.set_full_name(std::string(201, 'a'));
  Profile created;

  const grpc::Status status = CreateProfile(profile, &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("201 characters"), std::string::npos)
      << status.error_message();
}

TEST_F(ProfileServiceTest, NulCharacterInTextIsInvalid) {
  Profile profile;
  profile.set_user(user_.name());
  profile.set_bio(std::string("a\0b", 3));
  Profile created;

  const grpc::Status status = CreateProfile(profile, &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("profile.bio"), std::string::npos)
      << status.error_message();
}

TEST_F(ProfileServiceTest, UpdateWithNothingSetKeepsEtag) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  Profile updated;

  const grpc::Status status = UpdateProfile(request, {}, &updated);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(updated.etag(), created.etag());
  EXPECT_EQ(updated.full_name(), created.full_name());
}

TEST_F(ProfileServiceTest, MalformedEtagsAreInvalid) {
  const Profile created = CreateFullStudentProfile();
  for (const char* etag : {"r1 ", " r1", "r01", "r+1", "r 1", "r", "1", "r-1",
                           "r99999999999999999999"}) {
    SCOPED_TRACE(etag);
    Profile request;
    request.set_name(created.name());
    request.set_bio("changed");
    request.set_etag(etag);
    Profile updated;

    const grpc::Status status = UpdateProfile(request, {}, &updated);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(ProfileServiceTest, HugeMalformedNameGetsShortMessage) {
  // 100 KB of bytes that escape to four characters each; echoed whole,
  // the message would pass gRPC's default 8 KB metadata limit.
  const std::string name(100000, '\x01');
  Profile profile;

  const grpc::Status status = GetProfile(name, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message().substr(0, 200);
  EXPECT_LT(status.error_message().size(), 1000u);
  EXPECT_NE(status.error_message().find("(100000 bytes)"), std::string::npos)
      << status.error_message();
}

TEST_F(ProfileServiceTest, GetProfileWithMalformedNameReturnsInvalid) {
  const Profile created = CreateFullStudentProfile();
  const std::string id = created.name().substr(created.name().rfind('/') + 1);
  const std::string malformed_names[] = {
      "",
      "tenants/acme/profiles/",
      "tenants/acme/profiles/ada",
      absl::StrCat("tenants/acme/documents/", id),
      absl::StrCat("profiles/", id),
      absl::StrCat(created.name(), "/posts"),
      absl::StrCat("tenants/ACME/profiles/", id),
      absl::StrCat("tenants//profiles/", id),
  };
  for (const std::string& name : malformed_names) {
    SCOPED_TRACE(absl::StrCat("name \"", name, "\""));
    Profile profile;

    const grpc::Status status = GetProfile(name, &profile);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(ProfileServiceTest, LookupProfileByUserReturnsUserAndProfile) {
  const Profile created = CreateFullStudentProfile();
  LookupProfileByUserRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_user(user_.name());
  LookupProfileByUserResponse response;

  const grpc::Status status = server_->profiles().LookupProfileByUser(
      TestServer::TenantContext(kTenant).get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(response.user().name(), user_.name());
  EXPECT_EQ(response.user().email(), "ada@example.com");
  ASSERT_TRUE(response.has_profile());
  EXPECT_EQ(response.profile().name(), created.name());
}

TEST_F(ProfileServiceTest, LookupProfileByUserWithoutProfileOmitsProfile) {
  LookupProfileByUserRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_user(user_.name());
  LookupProfileByUserResponse response;

  const grpc::Status status = server_->profiles().LookupProfileByUser(
      TestServer::TenantContext(kTenant).get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(response.user().name(), user_.name());
  EXPECT_FALSE(response.has_profile());
}

TEST_F(ProfileServiceTest, LookupProfileByMissingUserReturnsNotFound) {
  LookupProfileByUserRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_user(absl::StrCat("users/", storage::NewResourceId()));
  LookupProfileByUserResponse response;

  const grpc::Status status = server_->profiles().LookupProfileByUser(
      TestServer::TenantContext(kTenant).get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ProfileServiceTest, LookupProfileByMalformedUserReturnsInvalid) {
  LookupProfileByUserRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_user("ada@example.com");
  LookupProfileByUserResponse response;

  const grpc::Status status = server_->profiles().LookupProfileByUser(
      TestServer::TenantContext(kTenant).get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(ProfileServiceTest, ListProfilesReturnsProfilesInCreationOrder) {
  std::vector<std::string> created_names;
  for (const char* email :
       {"p1@example.com", "p2@example.com", "p3@example.com", "p4@example.com",
        "p5@example.com"}) {
    created_names.push_back(
        server_->CreateUserWithProfile(kTenant, email).name());
  }
  ListProfilesResponse response;

  const grpc::Status status = ListProfiles("", &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  std::vector<std::string> listed_names;
  for (const Profile& profile : response.profiles()) {
    listed_names.push_back(profile.name());
  }
  EXPECT_EQ(listed_names, created_names);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_F(ProfileServiceTest, ListProfilesFiltersByRole) {
  const Profile student = CreateFullStudentProfile();
  Profile teacher_request;
  teacher_request.set_user(server_->CreateUser("bob@example.com").name());
  teacher_request.set_role(tenantry::v1::TEACHER);
  const Profile teacher = server_->CreateProfile(kTenant, teacher_request);
  const Profile unspecified =
      server_->CreateUserWithProfile(kTenant, "cy@example.com");
  struct Case {
    std::string filter;
    std::string expected_name;
  };
  const Case cases[] = {
      {"role = STUDENT", student.name()},
      {"role=TEACHER", teacher.name()},
      {"  role = ROLE_UNSPECIFIED  ", unspecified.name()},
      {"role = \"STUDENT\"", student.name()},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(absl::StrCat("filter \"", test_case.filter, "\""));
    ListProfilesResponse response;

    const grpc::Status status = ListProfiles(test_case.filter, &response);

    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
        << status.error_message();
    ASSERT_EQ(response.profiles_size(), 1);
    EXPECT_EQ(response.profiles(0).name(), test_case.expected_name);
  }
}

TEST_F(ProfileServiceTest, ListProfilesFiltersBySlug) {
  const Profile ada = CreateFullStudentProfile();
  Profile bob_request;
  bob_request.set_user(server_->CreateUser("bob@example.com").name());
  bob_request.set_slug("bob");
  server_->CreateProfile(kTenant, bob_request);
  ListProfilesResponse response;

  const grpc::Status status =
      ListProfiles("slug = \"ada-lovelace\"", &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.profiles_size(), 1);
  EXPECT_EQ(response.profiles(0).name(), ada.name());
}

TEST_F(ProfileServiceTest, ListProfilesWithUnusedSlugReturnsNoProfiles) {
  CreateFullStudentProfile();
  ListProfilesResponse response;

  const grpc::Status status = ListProfiles("slug = \"nobody\"", &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(response.profiles_size(), 0);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_F(ProfileServiceTest, ListProfilesWithMalformedFilterReturnsInvalid) {
  const std::string malformed_filters[] = {
      "role",
      "role =",
      "role = \"\"",
      "role = PILOT",
      "role = student",
      "age = 3",
      "owner = \"tenants/acme/profiles/x\"",
      "slug = ada lovelace",
      "slug = \"ada\"lovelace\"",
      "role = STUDENT AND slug = ada",
  };
  for (const std::string& filter : malformed_filters) {
    SCOPED_TRACE(absl::StrCat("filter \"", filter, "\""));
    ListProfilesResponse response;

    const grpc::Status status = ListProfiles(filter, &response);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(ProfileServiceTest, UpdateProfileWithoutMaskKeepsUnsetFields) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_full_name("Augusta Ada King");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.full_name(), "Augusta Ada King");
  EXPECT_EQ(profile.phone(), created.phone());
  EXPECT_EQ(profile.address(), created.address());
  EXPECT_EQ(profile.bio(), created.bio());
  EXPECT_EQ(profile.avatar_url(), created.avatar_url());
  EXPECT_EQ(profile.role(), tenantry::v1::STUDENT);
  EXPECT_EQ(profile.student_info().school(), "King's College");
  EXPECT_EQ(profile.student_info().major(), "Mathematics");
  EXPECT_EQ(profile.slug(), "ada-lovelace");
  EXPECT_EQ(profile.date_of_birth(), "1815-12-10");
  EXPECT_EQ(profile.verification_status(), Profile::UNVERIFIED);
  EXPECT_EQ(profile.privacy_settings().visibility(), tenantry::v1::PUBLIC);
  EXPECT_NE(profile.etag(), created.etag());
  Profile stored;
  ASSERT_EQ(GetProfile(created.name(), &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.full_name(), "Augusta Ada King");
  EXPECT_EQ(stored.phone(), created.phone());
}

TEST_F(ProfileServiceTest, UpdateProfileWithoutMaskKeepsUnsetNestedFields) {
  Profile create_request = FullStudentProfile(user_.name());
  create_request.mutable_privacy_settings()->mutable_show_contact()->set_value(
      true);
  const Profile created = server_->CreateProfile(kTenant, create_request);
  Profile request;
  request.set_name(created.name());
  request.mutable_privacy_settings()->set_visibility(tenantry::v1::PRIVATE);
  request.mutable_student_info()->set_major("Physics");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.privacy_settings().visibility(), tenantry::v1::PRIVATE);
  EXPECT_TRUE(profile.privacy_settings().show_contact().value());
  EXPECT_TRUE(profile.privacy_settings().allow_interaction().value());
  EXPECT_EQ(profile.student_info().major(), "Physics");
  EXPECT_EQ(profile.student_info().school(), "King's College");
  EXPECT_EQ(profile.student_info().class_name(), "10A");
  EXPECT_EQ(profile.student_info().academic_year(), "2025-2026");
}

TEST_F(ProfileServiceTest, UpdateProfileWithMaskIgnoresFieldsOutsideMask) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_full_name("Augusta Ada King");
  request.set_bio("Countess of Lovelace.");
  request.set_phone("+1 555 0100");
  request.set_slug("countess");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {"full_name"}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.full_name(), "Augusta Ada King");
  EXPECT_EQ(profile.bio(), created.bio());
  EXPECT_EQ(profile.phone(), created.phone());
  EXPECT_EQ(profile.slug(), "ada-lovelace");
}

TEST_F(ProfileServiceTest, UpdateProfileWithMaskClearsMaskedEmptyField) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {"bio", "slug"}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.bio(), "");
  EXPECT_EQ(profile.slug(), "");
  EXPECT_EQ(profile.full_name(), "Ada Lovelace");
}

TEST_F(ProfileServiceTest, UpdateProfileAcceptsNestedMaskPath) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.mutable_privacy_settings()->set_visibility(tenantry::v1::PRIVATE);
  request.mutable_privacy_settings()->mutable_show_contact()->set_value(true);
  request.mutable_privacy_settings()->mutable_allow_interaction()->set_value(
      false);
  Profile profile;

  const grpc::Status status =
      UpdateProfile(request, {"privacy_settings.visibility"}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.privacy_settings().visibility(), tenantry::v1::PRIVATE);
  EXPECT_FALSE(profile.privacy_settings().show_contact().value());
  EXPECT_TRUE(profile.privacy_settings().allow_interaction().value());
}

TEST_F(ProfileServiceTest, UpdateProfileAcceptsNestedStudentInfoMaskPath) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.mutable_student_info()->set_major("Physics");
  request.mutable_student_info()->set_school("Oxford");
  Profile profile;

  const grpc::Status status =
      UpdateProfile(request, {"student_info.major"}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.student_info().major(), "Physics");
  EXPECT_EQ(profile.student_info().school(), "King's College");
}

TEST_F(ProfileServiceTest, UpdateProfileAcceptsCamelCaseMaskPaths) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_full_name("Augusta Ada King");
  request.mutable_privacy_settings()->mutable_show_contact()->set_value(true);
  request.set_bio("Not in the mask.");
  Profile profile;

  const grpc::Status status = UpdateProfile(
      request, {"fullName", "privacySettings.showContact"}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.full_name(), "Augusta Ada King");
  EXPECT_TRUE(profile.privacy_settings().show_contact().value());
  EXPECT_EQ(profile.bio(), created.bio());
}

TEST_F(ProfileServiceTest, UpdateProfileWithWildcardMaskReplacesAllFields) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_full_name("Augusta Ada King");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {"*"}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.full_name(), "Augusta Ada King");
  EXPECT_EQ(profile.bio(), "");
  EXPECT_EQ(profile.slug(), "");
  EXPECT_EQ(profile.role(), tenantry::v1::ROLE_UNSPECIFIED);
  EXPECT_FALSE(profile.has_student_info());
  EXPECT_EQ(profile.user(), user_.name());
}

TEST_F(ProfileServiceTest, UpdateProfileRoleToTeacherClearsStudentInfo) {
  const Profile created = CreateFullStudentProfile();
  Profile to_teacher;
  to_teacher.set_name(created.name());
  to_teacher.set_role(tenantry::v1::TEACHER);
  Profile teacher;

  const grpc::Status status = UpdateProfile(to_teacher, {}, &teacher);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(teacher.role(), tenantry::v1::TEACHER);
  EXPECT_FALSE(teacher.has_student_info());
  // Switching back shows whether the stored student details were cleared.
  Profile to_student;
  to_student.set_name(created.name());
  to_student.set_role(tenantry::v1::STUDENT);
  Profile student;
  ASSERT_EQ(UpdateProfile(to_student, {}, &student).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(student.student_info().school(), "");
  EXPECT_EQ(student.student_info().class_name(), "");
  EXPECT_EQ(student.student_info().major(), "");
  EXPECT_EQ(student.student_info().academic_year(), "");
}

TEST_F(ProfileServiceTest, UpdateProfileRoleKeepsInfoOfNewRoleInRequest) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_role(tenantry::v1::TEACHER);
  request.mutable_teacher_info()->set_subject("Mathematics");
  request.mutable_teacher_info()->set_title("Lecturer");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.role(), tenantry::v1::TEACHER);
  EXPECT_EQ(profile.teacher_info().subject(), "Mathematics");
  EXPECT_EQ(profile.teacher_info().title(), "Lecturer");
  EXPECT_FALSE(profile.has_student_info());
}

TEST_F(ProfileServiceTest, UpdateStudentInfoOfTeacherReturnsInvalidArgument) {
  Profile create_request;
  create_request.set_user(user_.name());
  create_request.set_role(tenantry::v1::TEACHER);
  const Profile created = server_->CreateProfile(kTenant, create_request);
  Profile request;
  request.set_name(created.name());
  request.mutable_student_info()->set_school("Eton");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(ProfileServiceTest, UpdateProfileChangesVerificationStatus) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_verification_status(Profile::VERIFIED);
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.verification_status(), Profile::VERIFIED);
}

TEST_F(ProfileServiceTest, UpdateProfileWithUnknownMaskPathReturnsInvalid) {
  const Profile created = CreateFullStudentProfile();
  const std::string unknown_paths[] = {
      "nickname", "student_info.gpa", "privacy_settings.color", "full_name.x",
      "",
  };
  for (const std::string& path : unknown_paths) {
    SCOPED_TRACE(absl::StrCat("path \"", path, "\""));
    Profile request;
    request.set_name(created.name());
    request.set_full_name("Augusta Ada King");
    Profile profile;

    const grpc::Status status =
        UpdateProfile(request, {"full_name", path}, &profile);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
  Profile stored;
  ASSERT_EQ(GetProfile(created.name(), &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.full_name(), "Ada Lovelace");
}

TEST_F(ProfileServiceTest, UpdateProfileWithUnknownEnumReturnsInvalid) {
  const Profile created = CreateFullStudentProfile();
  struct Case {
    std::string description;
    void (*apply)(Profile& profile);
  };
  const Case cases[] = {
      {"role",
       [](Profile& p) { p.set_role(static_cast<tenantry::v1::Role>(3)); }},
      {"verification_status",
       [](Profile& p) {
         p.set_verification_status(static_cast<Profile::VerificationStatus>(5));
       }},
      {"privacy_settings.visibility",
       [](Profile& p) {
         p.mutable_privacy_settings()->set_visibility(
             static_cast<tenantry::v1::Visibility>(-1));
       }},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.description);
    Profile request;
    request.set_name(created.name());
    test_case.apply(request);
    Profile profile;

    const grpc::Status status = UpdateProfile(request, {}, &profile);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(ProfileServiceTest, UpdateProfileWithCurrentEtagSucceeds) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_etag(created.etag());
  request.set_full_name("Augusta Ada King");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_F(ProfileServiceTest, UpdateProfileWithStaleEtagReturnsAborted) {
  const Profile created = CreateFullStudentProfile();
  Profile first;
  first.set_name(created.name());
  first.set_etag(created.etag());
  first.set_full_name("First");
  Profile updated;
  ASSERT_EQ(UpdateProfile(first, {}, &updated).error_code(),
            grpc::StatusCode::OK);
  Profile second = first;
  second.set_full_name("Second");
  Profile profile;

  const grpc::Status status = UpdateProfile(second, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  Profile stored;
  ASSERT_EQ(GetProfile(created.name(), &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.full_name(), "First");
}

TEST_F(ProfileServiceTest, UpdateProfileWithMalformedEtagReturnsInvalid) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_etag("W/\"1\"");
  request.set_full_name("Augusta Ada King");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(ProfileServiceTest, UpdateProfileToOtherUserReturnsInvalidArgument) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_user(server_->CreateUser("bob@example.com").name());
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(ProfileServiceTest, UpdateProfileWithSameUserSucceeds) {
  const Profile created = CreateFullStudentProfile();
  Profile request = created;
  request.set_full_name("Augusta Ada King");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profile.full_name(), "Augusta Ada King");
  EXPECT_EQ(profile.user(), user_.name());
}

TEST_F(ProfileServiceTest, UpdateProfileToTakenSlugReturnsAlreadyExists) {
  CreateFullStudentProfile();
  Profile bob_request;
  bob_request.set_user(server_->CreateUser("bob@example.com").name());
  bob_request.set_slug("bob");
  const Profile bob = server_->CreateProfile(kTenant, bob_request);
  Profile request;
  request.set_name(bob.name());
  request.set_slug("ada-lovelace");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
  Profile stored;
  ASSERT_EQ(GetProfile(bob.name(), &stored).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(stored.slug(), "bob");
}

TEST_F(ProfileServiceTest, UpdateMissingProfileReturnsNotFound) {
  Profile request;
  request.set_name(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()));
  request.set_full_name("Nobody");
  Profile profile;

  const grpc::Status status = UpdateProfile(request, {}, &profile);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ProfileServiceTest, DeleteProfileRemovesProfile) {
  const Profile created = CreateFullStudentProfile();

  const grpc::Status status = DeleteProfile(created.name(), "");

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  Profile profile;
  EXPECT_EQ(GetProfile(created.name(), &profile).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ProfileServiceTest, DeleteProfileFreesUserAndSlug) {
  const Profile created = CreateFullStudentProfile();
  ASSERT_EQ(DeleteProfile(created.name(), "").error_code(),
            grpc::StatusCode::OK);
  Profile profile;

  const grpc::Status status =
      CreateProfile(FullStudentProfile(user_.name()), &profile);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_NE(profile.name(), created.name());
  EXPECT_EQ(profile.slug(), "ada-lovelace");
}

TEST_F(ProfileServiceTest, DeleteProfileWithCurrentEtagSucceeds) {
  const Profile created = CreateFullStudentProfile();

  const grpc::Status status = DeleteProfile(created.name(), created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_F(ProfileServiceTest, DeleteProfileWithStaleEtagReturnsAborted) {
  const Profile created = CreateFullStudentProfile();
  Profile request;
  request.set_name(created.name());
  request.set_bio("Changed.");
  Profile updated;
  ASSERT_EQ(UpdateProfile(request, {}, &updated).error_code(),
            grpc::StatusCode::OK);

  const grpc::Status status = DeleteProfile(created.name(), created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  Profile profile;
  EXPECT_EQ(GetProfile(created.name(), &profile).error_code(),
            grpc::StatusCode::OK);
}

TEST_F(ProfileServiceTest, DeleteMissingProfileReturnsNotFound) {
  const grpc::Status status = DeleteProfile(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()), "");

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ProfileServiceTest, DeleteProfileDeletesItsPosts) {
  const Profile ada = CreateFullStudentProfile();
  const Profile bob =
      server_->CreateUserWithProfile(kTenant, "bob@example.com");
  CreatePostWithContent(ada.name(), "First post by Ada");
  CreatePostWithContent(ada.name(), "Second post by Ada");
  const Post bob_post = CreatePostWithContent(bob.name(), "Post by Bob");
  ASSERT_EQ(DeleteProfile(ada.name(), "").error_code(), grpc::StatusCode::OK);
  ListPostsResponse ada_posts;

  const grpc::Status status = ListPosts(ada.name(), &ada_posts);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  ListPostsResponse bob_posts;
  ASSERT_EQ(ListPosts(bob.name(), &bob_posts).error_code(),
            grpc::StatusCode::OK);
  ASSERT_EQ(bob_posts.posts_size(), 1);
  EXPECT_EQ(bob_posts.posts(0).name(), bob_post.name());
}

TEST_F(ProfileServiceTest, DeleteProfileClearsOwnerOfItsDocuments) {
  const Profile ada = CreateFullStudentProfile();
  Document document;
  document.set_title("Notes on the Analytical Engine");
  document.set_content("Note G");
  document.set_owner(ada.name());
  const Document created = server_->CreateDocument(kTenant, document);
  ASSERT_EQ(created.owner(), ada.name());
  ASSERT_EQ(DeleteProfile(ada.name(), "").error_code(), grpc::StatusCode::OK);
  GetDocumentRequest request;
  request.set_name(created.name());
  Document stored;

  const grpc::Status status = server_->documents().GetDocument(
      TestServer::TenantContext(kTenant).get(), request, &stored);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(stored.owner(), "");
  EXPECT_EQ(stored.content(), "Note G");
  // Losing the owner is a change, so the old etag no longer matches.
  EXPECT_NE(stored.etag(), created.etag());
}

TEST_F(ProfileServiceTest, CreatePostReturnsPost) {
  const Profile ada = CreateFullStudentProfile();
  Post request;
  request.set_content("Hello, Engine.");
  request.add_media_urls("https://example.com/engine.png");
  request.add_media_urls("http://example.com/note-g.pdf");
  Post post;

  const grpc::Status status = CreatePost(ada.name(), request, &post);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  absl::string_view id = post.name();
  EXPECT_TRUE(absl::ConsumePrefix(&id, ada.name() + "/posts/")) << post.name();
  EXPECT_TRUE(storage::IsResourceId(id)) << post.name();
  EXPECT_EQ(post.content(), "Hello, Engine.");
  ASSERT_EQ(post.media_urls_size(), 2);
  EXPECT_EQ(post.media_urls(0), "https://example.com/engine.png");
  EXPECT_EQ(post.media_urls(1), "http://example.com/note-g.pdf");
  EXPECT_EQ(post.visibility(), tenantry::v1::PUBLIC);
  EXPECT_GT(post.create_time().seconds(), 0);
}

TEST_F(ProfileServiceTest, CreatePostKeepsPrivateVisibility) {
  const Profile ada = CreateFullStudentProfile();
  Post request;
  request.set_content("Only for me.");
  request.set_visibility(tenantry::v1::PRIVATE);
  Post post;

  const grpc::Status status = CreatePost(ada.name(), request, &post);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(post.visibility(), tenantry::v1::PRIVATE);
}

TEST_F(ProfileServiceTest, CreatePostWithInvalidFieldReturnsInvalid) {
  const Profile ada = CreateFullStudentProfile();
  struct Case {
    std::string description;
    void (*apply)(Post& post);
  };
  const Case cases[] = {
      {"empty content", [](Post& p) { p.clear_content(); }},
      {"content of 10001 bytes",
       [](Post& p) { p.set_content(std::string(10001, 'c')); }},
      {"media URL with ftp scheme",
       [](Post& p) { p.add_media_urls("ftp://example.com/a.png"); }},
      {"empty media URL", [](Post& p) { p.add_media_urls(""); }},
      {"media URL with newline",
       [](Post& p) { p.add_media_urls("https://example.com/a\nb"); }},
      {"21 media URLs",
       [](Post& p) {
         for (int i = 0; i < 21; ++i) {
           p.add_media_urls(absl::StrCat("https://example.com/", i, ".png"));
         }
       }},
      {"unknown visibility",
       [](Post& p) {
         p.set_visibility(static_cast<tenantry::v1::Visibility>(4));
       }},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.description);
    Post request;
    request.set_content("Hello.");
    test_case.apply(request);
    Post post;

    const grpc::Status status = CreatePost(ada.name(), request, &post);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
  ListPostsResponse posts;
  ASSERT_EQ(ListPosts(ada.name(), &posts).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(posts.posts_size(), 0);
}

TEST_F(ProfileServiceTest, CreatePostForMissingProfileReturnsNotFound) {
  Post request;
  request.set_content("Hello.");
  Post post;

  const grpc::Status status = CreatePost(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()), request,
      &post);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ProfileServiceTest, CreatePostWithMalformedParentReturnsInvalid) {
  Post request;
  request.set_content("Hello.");
  Post post;

  const grpc::Status status = CreatePost("tenants/acme", request, &post);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(ProfileServiceTest, ListPostsReturnsPostsOfProfileInCreationOrder) {
  const Profile ada = CreateFullStudentProfile();
  const Profile bob =
      server_->CreateUserWithProfile(kTenant, "bob@example.com");
  const Post first = CreatePostWithContent(ada.name(), "one");
  CreatePostWithContent(bob.name(), "Bob's post");
  const Post second = CreatePostWithContent(ada.name(), "two");
  const Post third = CreatePostWithContent(ada.name(), "three");
  ListPostsResponse response;

  const grpc::Status status = ListPosts(ada.name(), &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.posts_size(), 3);
  EXPECT_EQ(response.posts(0).name(), first.name());
  EXPECT_EQ(response.posts(1).name(), second.name());
  EXPECT_EQ(response.posts(2).name(), third.name());
  EXPECT_EQ(response.posts(0).content(), "one");
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_F(ProfileServiceTest, ListPostsForMissingProfileReturnsNotFound) {
  ListPostsResponse response;

  const grpc::Status status = ListPosts(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()),
      &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

}  // namespace
}  // namespace tenantry::tests
