#include "tools/dev_data.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/document_store.h"
#include "storage/ids.h"
#include "storage/profile_store.h"
#include "storage/status_macros.h"

namespace tenantry::tools {
namespace {

using storage::ProfileRecord;
using storage::Role;

struct SampleTenant {
  const char* id;
  const char* display_name;
};

struct SampleUser {
  const char* email;
  const char* display_name;
};

struct SampleProfile {
  const char* tenant_id;
  const char* email;
  const char* full_name;
  Role role;
  // School, class, major and academic year, or work unit, subject,
  // specialty and title, by role.
  std::vector<std::string> role_info;
  const char* slug;
  const char* date_of_birth;
  // Empty for none.
  const char* post;
};

struct SampleDocument {
  const char* tenant_id;
  const char* title;
  const char* content_type;
  const char* content;
  // Email of the owner's user, or nullptr for no owner.
  const char* owner_email;
};

constexpr SampleTenant kTenants[] = {
    {"dev_tenant", "Development Tenant"},
    {"demo_school", "Demo School"},
};

constexpr SampleUser kUsers[] = {
    {"alice@example.com", "Alice Nguyen"},
    {"bob@example.com", "Bob Tran"},
    {"carol@example.com", "Carol Le"},
    {"dave@example.com", "Dave Pham"},
};

const std::vector<SampleProfile>& Profiles() {
  static const auto* const profiles = new std::vector<SampleProfile>{
      {"dev_tenant",
       "alice@example.com",
       "Alice Nguyen",
       Role::kStudent,
       {"Tenantry High School", "11A", "Mathematics", "2025-2026"},
       "alice-nguyen",
       "2009-03-14",
       "Hello from Alice!"},
      {"dev_tenant",
       "bob@example.com",
       "Bob Tran",
       Role::kTeacher,
       {"Tenantry High School", "Physics", "Optics", "Senior Teacher"},
       "bob-tran",
       "1985-11-02",
       "The physics club meets on Friday."},
      {"dev_tenant",
       "carol@example.com",
       "Carol Le",
       Role::kUnspecified,
       {},
       "carol-le",
       nullptr,
       ""},
      {"demo_school",
       "alice@example.com",
       "Alice N.",
       Role::kTeacher,
       {"Demo School", "Mathematics", "Algebra", "Tutor"},
       "alice",
       nullptr,
       "Algebra help sessions start next week."},
      {"demo_school",
       "dave@example.com",
       "Dave Pham",
       Role::kStudent,
       {"Demo School", "10B", "Chemistry", "2025-2026"},
       "dave",
       "2010-07-21",
       ""},
  };
  return *profiles;
}

constexpr SampleDocument kDocuments[] = {
    {"dev_tenant", "Welcome", "text/plain",
     "Welcome to the development tenant of Tenantry.\n", nullptr},
    {"dev_tenant", "Physics syllabus", "text/markdown",
     "# Physics 11\n\n1. Mechanics\n2. Waves\n3. Optics\n", "bob@example.com"},
    {"demo_school", "Timetable", "text/csv",
     "day,subject\nMonday,Algebra\nTuesday,Chemistry\n", nullptr},
};

absl::Status EnsureTenants(storage::TenantRegistry& tenants,
                           std::ostream& log) {
  for (const SampleTenant& sample : kTenants) {
    absl::Status existing =
        tenants.shared_store()->GetTenant(sample.id).status();
    if (existing.ok()) continue;
    if (!absl::IsNotFound(existing)) return existing;
    storage::TenantRecord tenant;
    tenant.id = sample.id;
    tenant.display_name = sample.display_name;
    TENANTRY_RETURN_IF_ERROR(tenants.Create(tenant).status());
    log << "created tenant " << sample.id << "\n";
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::UserRecord> EnsureUser(storage::SharedStore& store,
                                               const SampleUser& sample,
                                               std::ostream& log) {
  absl::StatusOr<storage::UserRecord> existing =
      store.FindUserByEmail(sample.email);
  if (!absl::IsNotFound(existing.status())) return existing;
  storage::UserRecord user;
  user.id = storage::NewResourceId();
  user.email = sample.email;
  user.display_name = sample.display_name;
  TENANTRY_ASSIGN_OR_RETURN(user, store.CreateUser(user));
  log << "created user " << sample.email << " (users/" << user.id << ")\n";
  return user;
}

ProfileRecord ProfileFromSample(const SampleProfile& sample,
                                absl::string_view user_id) {
  ProfileRecord profile;
  profile.user_id = std::string(user_id);
  profile.full_name = sample.full_name;
  profile.role = sample.role;
  const std::vector<std::string>& info = sample.role_info;
  if (sample.role == Role::kStudent) {
    profile.student_info = {info[0], info[1], info[2], info[3]};
  } else if (sample.role == Role::kTeacher) {
    profile.teacher_info = {info[0], info[1], info[2], info[3]};
  }
  profile.bio = absl::StrCat("Sample profile of ", sample.full_name, ".");
  profile.slug = sample.slug;
  if (sample.date_of_birth != nullptr) {
    profile.date_of_birth = sample.date_of_birth;
  }
  return profile;
}

// Creates the sample profile and its post unless they exist.
absl::Status EnsureProfile(storage::TenantRegistry& tenants,
                           const SampleProfile& sample,
                           absl::string_view user_id, std::ostream& log) {
  TENANTRY_ASSIGN_OR_RETURN(std::shared_ptr<storage::TenantDatabase> database,
                            tenants.OpenDatabase(sample.tenant_id));
  storage::ProfileStore store(database.get());
  TENANTRY_ASSIGN_OR_RETURN(std::optional<ProfileRecord> profile,
                            store.FindByUser(user_id));
  if (!profile.has_value()) {
    TENANTRY_ASSIGN_OR_RETURN(profile,
                              store.Create(ProfileFromSample(sample, user_id)));
    log << "created profile tenants/" << sample.tenant_id << "/profiles/"
        << profile->id << " for " << sample.email << "\n";
  }
  if (*sample.post == '\0') return absl::OkStatus();
  TENANTRY_ASSIGN_OR_RETURN(
      const storage::Page<storage::PostRecord> posts,
      store.ListPosts(profile->id, storage::PageRequest{1000, ""}));
  for (const storage::PostRecord& post : posts.items) {
    if (post.content == sample.post) return absl::OkStatus();
  }
  storage::PostRecord post;
  post.profile_id = profile->id;
  post.content = sample.post;
  TENANTRY_RETURN_IF_ERROR(store.CreatePost(post).status());
  log << "created a post by " << sample.email << " in " << sample.tenant_id
      << "\n";
  return absl::OkStatus();
}

absl::Status EnsureDocument(storage::TenantRegistry& tenants,
                            const SampleDocument& sample, std::ostream& log) {
  TENANTRY_ASSIGN_OR_RETURN(std::shared_ptr<storage::TenantDatabase> database,
                            tenants.OpenDatabase(sample.tenant_id));
  storage::DocumentStore documents(database.get());
  TENANTRY_ASSIGN_OR_RETURN(
      const storage::Page<storage::DocumentRecord> existing,
      documents.List(std::nullopt, storage::PageRequest{1000, ""},
                     /*with_content=*/false));
  for (const storage::DocumentRecord& document : existing.items) {
    if (document.title == sample.title) return absl::OkStatus();
  }
  storage::DocumentRecord document;
  document.title = sample.title;
  document.content_type = sample.content_type;
  document.content = sample.content;
  if (sample.owner_email != nullptr) {
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::UserRecord owner,
        tenants.shared_store()->FindUserByEmail(sample.owner_email));
    TENANTRY_ASSIGN_OR_RETURN(
        const std::optional<ProfileRecord> profile,
        storage::ProfileStore(database.get()).FindByUser(owner.id));
    if (profile.has_value()) document.owner_profile_id = profile->id;
  }
  TENANTRY_RETURN_IF_ERROR(documents.Create(document).status());
  log << "created document \"" << sample.title << "\" in " << sample.tenant_id
      << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadDevData(storage::TenantRegistry& tenants, std::ostream& log) {
  TENANTRY_RETURN_IF_ERROR(EnsureTenants(tenants, log));
  for (const SampleProfile& sample : Profiles()) {
    const SampleUser* user_sample = nullptr;
    for (const SampleUser& candidate : kUsers) {
      if (absl::string_view(candidate.email) == sample.email) {
        user_sample = &candidate;
      }
    }
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::UserRecord user,
        EnsureUser(*tenants.shared_store(), *user_sample, log));
    TENANTRY_RETURN_IF_ERROR(EnsureProfile(tenants, sample, user.id, log));
  }
  for (const SampleUser& sample : kUsers) {
    TENANTRY_RETURN_IF_ERROR(
        EnsureUser(*tenants.shared_store(), sample, log).status());
  }
  for (const SampleDocument& sample : kDocuments) {
    TENANTRY_RETURN_IF_ERROR(EnsureDocument(tenants, sample, log));
  }
  return absl::OkStatus();
}

}  // namespace tenantry::tools
