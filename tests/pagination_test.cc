#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreatePostRequest;
using tenantry::v1::DeleteProfileRequest;
using tenantry::v1::Document;
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
using tenantry::v1::Post;
using tenantry::v1::Profile;

constexpr char kTenant[] = "acme";

// Every walk stops after this many pages, so that a token that never ends
// fails the test instead of looping forever.
constexpr int kMaxPages = 200;

// The result of one List call, with the names on the page and the next
// page token.
struct Page {
  grpc::Status status;
  std::vector<std::string> names;
  std::string next_page_token;
};

template <typename Response, typename Item>
Page MakePage(const grpc::Status& status, const Response& response,
              const google::protobuf::RepeatedPtrField<Item>& items) {
  Page page;
  page.status = status;
  for (const Item& item : items) page.names.push_back(item.name());
  page.next_page_token = response.next_page_token();
  return page;
}

// Calls `list_page` first without a token and then with the token of each
// previous page until a page has an empty next_page_token. Returns the
// names of each page. Records a test failure and stops at the first error
// or after kMaxPages pages.
std::vector<std::vector<std::string>> WalkPages(
    const std::function<Page(const std::string& page_token)>& list_page) {
  std::vector<std::vector<std::string>> pages;
  std::string page_token;
  for (int i = 0; i < kMaxPages; ++i) {
    const Page page = list_page(page_token);
    if (!page.status.ok()) {
      ADD_FAILURE() << "page " << i
                    << " failed: " << page.status.error_message();
      return pages;
    }
    pages.push_back(page.names);
    if (page.next_page_token.empty()) return pages;
    page_token = page.next_page_token;
  }
  ADD_FAILURE() << "the walk did not end after " << kMaxPages << " pages";
  return pages;
}

std::vector<std::string> Concatenate(
    const std::vector<std::vector<std::string>>& pages) {
  std::vector<std::string> names;
  for (const std::vector<std::string>& page : pages) {
    names.insert(names.end(), page.begin(), page.end());
  }
  return names;
}

class PaginationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant(kTenant);
  }

  // Creates `count` users and returns their names in creation order.
  std::vector<std::string> CreateUsers(int count, absl::string_view prefix) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      names.push_back(
          server_->CreateUser(absl::StrCat(prefix, i, "@example.com")).name());
    }
    return names;
  }

  // Creates `count` profiles, every second one a STUDENT, and returns their
  // names in creation order.
  std::vector<std::string> CreateProfiles(int count) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      Profile profile;
      profile.set_user(
          server_->CreateUser(absl::StrCat("p", i, "@example.com")).name());
      profile.set_role(i % 2 == 0 ? tenantry::v1::STUDENT
                                  : tenantry::v1::TEACHER);
      names.push_back(server_->CreateProfile(kTenant, profile).name());
    }
    return names;
  }

  Page ListUsers(int page_size, const std::string& page_token) {
    ListUsersRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    ListUsersResponse response;
    const grpc::Status status = server_->users().ListUsers(
        TestServer::Context().get(), request, &response);
    return MakePage(status, response, response.users());
  }

  Page ListTenants(int page_size, const std::string& page_token) {
    ListTenantsRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    ListTenantsResponse response;
    const grpc::Status status = server_->tenants().ListTenants(
        TestServer::Context().get(), request, &response);
    return MakePage(status, response, response.tenants());
  }

  Page ListProfiles(int page_size, const std::string& page_token,
                    const std::string& filter) {
    ListProfilesRequest request;
    request.set_parent(TenantName(kTenant));
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    request.set_filter(filter);
    ListProfilesResponse response;
    const grpc::Status status = server_->profiles().ListProfiles(
        TestServer::TenantContext(kTenant).get(), request, &response);
    return MakePage(status, response, response.profiles());
  }

  Page ListPosts(const std::string& parent, int page_size,
                 const std::string& page_token) {
    ListPostsRequest request;
    request.set_parent(parent);
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    ListPostsResponse response;
    const grpc::Status status = server_->profiles().ListPosts(
        TestServer::TenantContext(kTenant).get(), request, &response);
    return MakePage(status, response, response.posts());
  }

  Page ListDocuments(ListDocumentsRequest request, int page_size,
                     const std::string& page_token) {
    request.set_parent(TenantName(kTenant));
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    ListDocumentsResponse response;
    const grpc::Status status = server_->documents().ListDocuments(
        TestServer::TenantContext(kTenant).get(), request, &response);
    return MakePage(status, response, response.documents());
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(PaginationTest, ProfilePagesVisitEveryProfileOnce) {
  const std::vector<std::string> created = CreateProfiles(120);

  const std::vector<std::vector<std::string>> pages =
      WalkPages([this](const std::string& page_token) {
        return ListProfiles(7, page_token, "");
      });

  const std::vector<std::string> listed = Concatenate(pages);
  EXPECT_EQ(listed.size(), 120u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), 120u);
  EXPECT_EQ(listed, created);
  ASSERT_EQ(pages.size(), 18u);
  for (size_t i = 0; i + 1 < pages.size(); ++i) {
    EXPECT_EQ(pages[i].size(), 7u) << "page " << i;
  }
  EXPECT_EQ(pages.back().size(), 1u);
}

TEST_F(PaginationTest, FilteredProfilePagesVisitEveryMatchOnce) {
  const std::vector<std::string> created = CreateProfiles(120);
  std::vector<std::string> students;
  for (size_t i = 0; i < created.size(); i += 2) {
    students.push_back(created[i]);
  }

  const std::vector<std::string> listed =
      Concatenate(WalkPages([this](const std::string& page_token) {
        return ListProfiles(7, page_token, "role = STUDENT");
      }));

  EXPECT_EQ(listed.size(), 60u);
  EXPECT_EQ(listed, students);
}

TEST_F(PaginationTest, UserPagesVisitEveryUserOnce) {
  const std::vector<std::string> created = CreateUsers(120, "u");

  const std::vector<std::string> listed =
      Concatenate(WalkPages([this](const std::string& page_token) {
        return ListUsers(7, page_token);
      }));

  EXPECT_EQ(listed.size(), 120u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), 120u);
  EXPECT_EQ(listed, created);
}

TEST_F(PaginationTest, TenantPagesVisitEveryTenantOnce) {
  std::vector<std::string> created = {TenantName(kTenant)};
  for (int i = 0; i < 119; ++i) {
    // Zero-padded, so that id order is creation order.
    created.push_back(
        server_->CreateTenant(absl::StrFormat("t%03d", i)).name());
  }

  const std::vector<std::string> listed =
      Concatenate(WalkPages([this](const std::string& page_token) {
        return ListTenants(7, page_token);
      }));

  EXPECT_EQ(listed.size(), 120u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), 120u);
  EXPECT_EQ(listed, created);
}

TEST_F(PaginationTest, PostPagesVisitEveryPostOnce) {
  const Profile profile =
      server_->CreateUserWithProfile(kTenant, "ada@example.com");
  std::vector<std::string> created;
  for (int i = 0; i < 30; ++i) {
    CreatePostRequest request;
    request.set_parent(profile.name());
    request.mutable_post()->set_content(absl::StrCat("post ", i));
    Post post;
    ASSERT_EQ(server_->profiles()
                  .CreatePost(TestServer::TenantContext(kTenant).get(), request,
                              &post)
                  .error_code(),
              grpc::StatusCode::OK);
    created.push_back(post.name());
  }

  const std::vector<std::string> listed =
      Concatenate(WalkPages([&](const std::string& page_token) {
        return ListPosts(profile.name(), 7, page_token);
      }));

  EXPECT_EQ(listed, created);
}

TEST_F(PaginationTest, FilteredDocumentPagesVisitEveryMatchOnce) {
  const Profile owner =
      server_->CreateUserWithProfile(kTenant, "ada@example.com");
  std::vector<std::string> owned;
  for (int i = 0; i < 30; ++i) {
    Document document;
    document.set_title(absl::StrCat("document ", i));
    if (i % 3 != 0) document.set_owner(owner.name());
    const std::string name = server_->CreateDocument(kTenant, document).name();
    if (i % 3 != 0) owned.push_back(name);
  }
  ListDocumentsRequest request;
  request.set_filter(absl::StrCat("owner = \"", owner.name(), "\""));

  const std::vector<std::string> listed =
      Concatenate(WalkPages([&](const std::string& page_token) {
        return ListDocuments(request, 7, page_token);
      }));

  EXPECT_EQ(listed.size(), 20u);
  EXPECT_EQ(listed, owned);
}

TEST_F(PaginationTest, ZeroPageSizeReturnsFiftyItems) {
  CreateProfiles(120);

  const Page page = ListProfiles(0, "", "");

  ASSERT_EQ(page.status.error_code(), grpc::StatusCode::OK)
      << page.status.error_message();
  EXPECT_EQ(page.names.size(), 50u);
  EXPECT_FALSE(page.next_page_token.empty());
}

TEST_F(PaginationTest, PageSizeAboveMaximumReturnsThousandItems) {
  // One more user than the maximum page size, so that the clamp shows.
  CreateUsers(1001, "u");

  const Page first = ListUsers(5000, "");

  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK)
      << first.status.error_message();
  EXPECT_EQ(first.names.size(), 1000u);
  ASSERT_FALSE(first.next_page_token.empty());
  const Page second = ListUsers(5000, first.next_page_token);
  ASSERT_EQ(second.status.error_code(), grpc::StatusCode::OK)
      << second.status.error_message();
  EXPECT_EQ(second.names.size(), 1u);
  EXPECT_EQ(second.next_page_token, "");
}

TEST_F(PaginationTest, LastPageHasEmptyToken) {
  CreateProfiles(7);

  const Page page = ListProfiles(7, "", "");

  ASSERT_EQ(page.status.error_code(), grpc::StatusCode::OK)
      << page.status.error_message();
  EXPECT_EQ(page.names.size(), 7u);
  EXPECT_EQ(page.next_page_token, "");
}

TEST_F(PaginationTest, PageSizeMayChangeBetweenPages) {
  const std::vector<std::string> created = CreateProfiles(10);
  const Page first = ListProfiles(3, "", "");
  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK);

  const Page second = ListProfiles(100, first.next_page_token, "");

  ASSERT_EQ(second.status.error_code(), grpc::StatusCode::OK)
      << second.status.error_message();
  EXPECT_EQ(second.names,
            std::vector<std::string>(created.begin() + 3, created.end()));
  EXPECT_EQ(second.next_page_token, "");
}

TEST_F(PaginationTest, ItemsCreatedDuringWalkAppearOnceAtEnd) {
  const std::vector<std::string> created = CreateUsers(20, "before");
  const Page first = ListUsers(7, "");
  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK);
  const std::vector<std::string> added = CreateUsers(5, "during");

  const std::vector<std::string> rest =
      Concatenate(WalkPages([&](const std::string& page_token) {
        return ListUsers(
            7, page_token.empty() ? first.next_page_token : page_token);
      }));

  std::vector<std::string> listed = first.names;
  listed.insert(listed.end(), rest.begin(), rest.end());
  std::vector<std::string> expected = created;
  expected.insert(expected.end(), added.begin(), added.end());
  EXPECT_EQ(listed, expected);
}

TEST_F(PaginationTest, DeletingLastItemOfPageKeepsTokenValid) {
  const std::vector<std::string> created = CreateProfiles(10);
  const Page first = ListProfiles(5, "", "");
  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK);
  ASSERT_EQ(first.names.size(), 5u);
  DeleteProfileRequest request;
  request.set_name(first.names.back());
  google::protobuf::Empty empty;
  ASSERT_EQ(server_->profiles()
                .DeleteProfile(TestServer::TenantContext(kTenant).get(),
                               request, &empty)
                .error_code(),
            grpc::StatusCode::OK);

  const Page second = ListProfiles(5, first.next_page_token, "");

  ASSERT_EQ(second.status.error_code(), grpc::StatusCode::OK)
      << second.status.error_message();
  EXPECT_EQ(second.names,
            std::vector<std::string>(created.begin() + 5, created.end()));
}

TEST_F(PaginationTest, NegativePageSizeReturnsInvalidArgument) {
  const Profile profile =
      server_->CreateUserWithProfile(kTenant, "ada@example.com");
  const std::pair<std::string, Page> results[] = {
      {"ListTenants", ListTenants(-1, "")},
      {"ListUsers", ListUsers(-1, "")},
      {"ListProfiles", ListProfiles(-1, "", "")},
      {"ListPosts", ListPosts(profile.name(), -1, "")},
      {"ListDocuments", ListDocuments(ListDocumentsRequest(), -1, "")},
  };

  for (const auto& [method, page] : results) {
    EXPECT_EQ(page.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << page.status.error_message();
  }
}

TEST_F(PaginationTest, ProfileTokenWithOtherFilterReturnsInvalidArgument) {
  CreateProfiles(10);
  const Page first = ListProfiles(2, "", "role = STUDENT");
  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK);
  ASSERT_FALSE(first.next_page_token.empty());

  for (const char* filter : {"role = TEACHER", "", "slug = \"a\""}) {
    SCOPED_TRACE(absl::StrCat("filter \"", filter, "\""));

    const Page page = ListProfiles(2, first.next_page_token, filter);

    EXPECT_EQ(page.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << page.status.error_message();
  }
}

TEST_F(PaginationTest, DocumentTokenWithOtherArgumentsReturnsInvalid) {
  const Profile owner =
      server_->CreateUserWithProfile(kTenant, "ada@example.com");
  for (int i = 0; i < 5; ++i) {
    Document document;
    document.set_title(absl::StrCat("document ", i));
    document.set_owner(owner.name());
    server_->CreateDocument(kTenant, document);
  }
  ListDocumentsRequest filtered;
  filtered.set_filter(absl::StrCat("owner = \"", owner.name(), "\""));
  const Page first = ListDocuments(filtered, 2, "");
  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK);
  ASSERT_FALSE(first.next_page_token.empty());
  ListDocumentsRequest full_view = filtered;
  full_view.set_view(tenantry::v1::FULL);

  const Page without_filter =
      ListDocuments(ListDocumentsRequest(), 2, first.next_page_token);
  const Page with_other_view =
      ListDocuments(full_view, 2, first.next_page_token);

  EXPECT_EQ(without_filter.status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << without_filter.status.error_message();
  EXPECT_EQ(with_other_view.status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << with_other_view.status.error_message();
}

TEST_F(PaginationTest, PostTokenWithOtherParentReturnsInvalidArgument) {
  const Profile ada =
      server_->CreateUserWithProfile(kTenant, "ada@example.com");
  const Profile bob =
      server_->CreateUserWithProfile(kTenant, "bob@example.com");
  for (const Profile* profile : {&ada, &bob}) {
    for (int i = 0; i < 3; ++i) {
      CreatePostRequest request;
      request.set_parent(profile->name());
      request.mutable_post()->set_content("Hello.");
      Post post;
      ASSERT_EQ(server_->profiles()
                    .CreatePost(TestServer::TenantContext(kTenant).get(),
                                request, &post)
                    .error_code(),
                grpc::StatusCode::OK);
    }
  }
  const Page first = ListPosts(ada.name(), 1, "");
  ASSERT_EQ(first.status.error_code(), grpc::StatusCode::OK);
  ASSERT_FALSE(first.next_page_token.empty());

  const Page page = ListPosts(bob.name(), 1, first.next_page_token);

  EXPECT_EQ(page.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << page.status.error_message();
}

TEST_F(PaginationTest, TokenOfOtherMethodReturnsInvalidArgument) {
  CreateUsers(3, "u");
  server_->CreateTenant("globex");
  const Page users = ListUsers(1, "");
  ASSERT_EQ(users.status.error_code(), grpc::StatusCode::OK);
  ASSERT_FALSE(users.next_page_token.empty());

  const Page tenants = ListTenants(1, users.next_page_token);

  EXPECT_EQ(tenants.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << tenants.status.error_message();
}

TEST_F(PaginationTest, MalformedPageTokenReturnsInvalidArgument) {
  CreateUsers(3, "u");
  const std::string malformed_tokens[] = {
      "garbage!",
      "next",
      absl::WebSafeBase64Escape("v1:0000000000000000:"),
      absl::WebSafeBase64Escape("v2:0000000000000000:abc"),
      absl::WebSafeBase64Escape("v1:abc"),
  };
  for (const std::string& token : malformed_tokens) {
    SCOPED_TRACE(absl::StrCat("page_token \"", token, "\""));

    const Page page = ListUsers(1, token);

    EXPECT_EQ(page.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << page.status.error_message();
  }
}

}  // namespace
}  // namespace tenantry::tests
