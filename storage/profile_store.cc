#include "storage/profile_store.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/quoting.h"
#include "storage/status_macros.h"
#include "storage/tenant_usage.h"

namespace tenantry::storage {
namespace {

// The order of these columns is the order of ReadProfile and BindProfile.
constexpr char kProfileColumns[] =
    "id, user_id, full_name, phone, address, bio, avatar_url, role, "
    "student_school, student_class_name, student_major, "
    "student_academic_year, teacher_work_unit, teacher_subject, "
    "teacher_specialty, teacher_title, verification_status, visibility, "
    "show_contact, allow_interaction, slug, date_of_birth, create_time, "
    "update_time, revision";
constexpr char kProfilePlaceholders[] =
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
constexpr int kProfileColumnCount = 25;

constexpr char kPostColumns[] =
    "id, profile_id, content, media_urls, visibility, create_time, "
    "update_time";

absl::string_view RoleText(Role role) {
  switch (role) {
    case Role::kStudent:
      return "student";
    case Role::kTeacher:
      return "teacher";
    case Role::kUnspecified:
      break;
  }
  return "unspecified";
}

Role RoleFromText(absl::string_view text) {
  if (text == "student") return Role::kStudent;
  if (text == "teacher") return Role::kTeacher;
  return Role::kUnspecified;
}

absl::string_view VerificationText(VerificationStatus status) {
  switch (status) {
    case VerificationStatus::kPending:
      return "pending";
    case VerificationStatus::kVerified:
      return "verified";
    case VerificationStatus::kRejected:
      return "rejected";
    case VerificationStatus::kUnverified:
      break;
  }
  return "unverified";
}

VerificationStatus VerificationFromText(absl::string_view text) {
  if (text == "pending") return VerificationStatus::kPending;
  if (text == "verified") return VerificationStatus::kVerified;
  if (text == "rejected") return VerificationStatus::kRejected;
  return VerificationStatus::kUnverified;
}

ProfileRecord ReadProfile(const SqliteStatement& row) {
  ProfileRecord profile;
  profile.id = row.ColumnText(0);
  profile.user_id = row.ColumnText(1);
  profile.full_name = row.ColumnText(2);
  profile.phone = row.ColumnText(3);
  profile.address = row.ColumnText(4);
  profile.bio = row.ColumnText(5);
  profile.avatar_url = row.ColumnText(6);
  profile.role = RoleFromText(row.ColumnText(7));
  profile.student_info = {row.ColumnText(8), row.ColumnText(9),
                          row.ColumnText(10), row.ColumnText(11)};
  profile.teacher_info = {row.ColumnText(12), row.ColumnText(13),
                          row.ColumnText(14), row.ColumnText(15)};
  profile.verification_status = VerificationFromText(row.ColumnText(16));
  profile.privacy_settings.visibility = VisibilityFromText(row.ColumnText(17));
  profile.privacy_settings.show_contact = row.ColumnInt(18) != 0;
  profile.privacy_settings.allow_interaction = row.ColumnInt(19) != 0;
  profile.slug = row.ColumnOptionalText(20);
  profile.date_of_birth = row.ColumnOptionalText(21);
  profile.create_time = absl::FromUnixMicros(row.ColumnInt(22));
  profile.update_time = absl::FromUnixMicros(row.ColumnInt(23));
  profile.revision = row.ColumnInt(24);
  return profile;
}

// Binds parameters 1 to kProfileColumnCount in the order of
// kProfileColumns.
void BindProfile(SqliteStatement& statement, const ProfileRecord& profile) {
  const StudentInfo& student = profile.student_info;
  const TeacherInfo& teacher = profile.teacher_info;
  const PrivacySettings& privacy = profile.privacy_settings;
  statement.BindAll(
      profile.id, profile.user_id, profile.full_name, profile.phone,
      profile.address, profile.bio, profile.avatar_url, RoleText(profile.role),
      student.school, student.class_name, student.major, student.academic_year,
      teacher.work_unit, teacher.subject, teacher.specialty, teacher.title,
      VerificationText(profile.verification_status),
      VisibilityText(privacy.visibility), int64_t{privacy.show_contact},
      int64_t{privacy.allow_interaction}, profile.slug, profile.date_of_birth,
      absl::ToUnixMicros(profile.create_time),
      absl::ToUnixMicros(profile.update_time), profile.revision);
}

PostRecord ReadPost(const SqliteStatement& row) {
  PostRecord post;
  post.id = row.ColumnText(0);
  post.profile_id = row.ColumnText(1);
  post.content = row.ColumnText(2);
  const std::string media_urls = row.ColumnText(3);
  if (!media_urls.empty()) {
    post.media_urls = absl::StrSplit(media_urls, '\n');
  }
  post.visibility = VisibilityFromText(row.ColumnText(4));
  post.create_time = absl::FromUnixMicros(row.ColumnInt(5));
  post.update_time = absl::FromUnixMicros(row.ColumnInt(6));
  return post;
}

absl::Status ProfileNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("profile \"", id, "\" not found"));
}

// Gives the unique violations of the profiles table messages that name the
// conflicting value.
absl::Status DescribeProfileConflict(absl::Status status,
                                     const ProfileRecord& profile) {
  if (!absl::IsAlreadyExists(status)) return status;
  if (absl::StrContains(status.message(), "profiles.slug")) {
    return absl::AlreadyExistsError(absl::StrCat(
        "slug \"", profile.slug.value_or(""), "\" is taken in this tenant"));
  }
  if (absl::StrContains(status.message(), "profiles.user_id")) {
    return absl::AlreadyExistsError(absl::StrCat(
        "user \"", profile.user_id, "\" already has a profile in this tenant"));
  }
  return status;
}

absl::StatusOr<ProfileRecord> GetProfileLocked(SqliteConnection& connection,
                                               absl::string_view id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(absl::StrCat("SELECT ", kProfileColumns,
                                      " FROM profiles WHERE id = ?")));
  StatementLease query(statement);
  query->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) return ProfileNotFound(id);
  return ReadProfile(*statement);
}

absl::StatusOr<PostRecord> GetPostLocked(SqliteConnection& connection,
                                         absl::string_view id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(
          absl::StrCat("SELECT ", kPostColumns, " FROM posts WHERE id = ?")));
  StatementLease query(statement);
  query->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("post \"", id, "\" not found"));
  }
  return ReadPost(*statement);
}

// Reads back, with `read`, the resource that the first request with `key`
// created. A resource deleted since then is NOT_FOUND, and the message
// names a new request_id as the fix.
template <typename Record>
absl::StatusOr<Record> ReadRepeatedCreate(
    SqliteConnection& connection, const RequestKey& key,
    absl::string_view resource_id, absl::string_view noun,
    absl::StatusOr<Record> (*read)(SqliteConnection&, absl::string_view)) {
  absl::StatusOr<Record> record = read(connection, resource_id);
  if (!absl::IsNotFound(record.status())) return record;
  return absl::NotFoundError(absl::StrCat(
      noun, " \"", resource_id, "\", which request_id ",
      QuoteForMessage(key.request_id),
      " created, has been deleted since; send a new request_id to create it "
      "again"));
}

}  // namespace

absl::string_view VisibilityText(Visibility visibility) {
  return visibility == Visibility::kPrivate ? "private" : "public";
}

Visibility VisibilityFromText(absl::string_view text) {
  return text == "private" ? Visibility::kPrivate : Visibility::kPublic;
}

absl::StatusOr<ProfileRecord> ProfileStore::Create(
    const ProfileRecord& profile, const CreateOptions& options) {
  ProfileRecord created = profile;
  created.id = NewResourceId();
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  return database_->Write([&](SqliteConnection& connection)
                              -> absl::StatusOr<ProfileRecord> {
    // Write() runs one body at a time, so nothing can insert between
    // these checks and the insert below.
    if (options.request_key.has_value()) {
      TENANTRY_ASSIGN_OR_RETURN(const std::optional<std::string> earlier,
                                FindRequest(connection, *options.request_key));
      if (earlier.has_value()) {
        return ReadRepeatedCreate<ProfileRecord>(connection,
                                                 *options.request_key, *earlier,
                                                 "profile", &GetProfileLocked);
      }
    }
    UsageDelta delta;
    delta.profiles = 1;
    TENANTRY_RETURN_IF_ERROR(CheckQuota(connection, options.quota, delta));
    TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                              connection.Prepare(absl::StrCat(
                                  "INSERT INTO profiles (", kProfileColumns,
                                  ") VALUES (", kProfilePlaceholders, ")")));
    StatementLease insert(statement);
    BindProfile(*statement, created);
    TENANTRY_RETURN_IF_ERROR(
        DescribeProfileConflict(insert->Execute().status(), created));
    if (options.request_key.has_value()) {
      TENANTRY_RETURN_IF_ERROR(
          RecordRequest(connection, *options.request_key, created.id));
    }
    return created;
  });
}

absl::StatusOr<ProfileRecord> ProfileStore::Get(absl::string_view id) {
  return database_->Read([&](SqliteConnection& connection) {
    return GetProfileLocked(connection, id);
  });
}

absl::StatusOr<std::optional<ProfileRecord>> ProfileStore::FindByUser(
    absl::string_view user_id) {
  return database_->Read([&](SqliteConnection& connection)
                             -> absl::StatusOr<std::optional<ProfileRecord>> {
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection.Prepare(absl::StrCat("SELECT ", kProfileColumns,
                                        " FROM profiles WHERE user_id = ?")));
    StatementLease query(statement);
    query->BindAll(user_id);
    TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
    if (!found) return std::optional<ProfileRecord>();
    return std::optional<ProfileRecord>(ReadProfile(*statement));
  });
}

absl::StatusOr<Page<ProfileRecord>> ProfileStore::List(
    const ProfileFilter& filter, const PageRequest& page) {
  std::string sql =
      absl::StrCat("SELECT ", kProfileColumns, " FROM profiles WHERE id > ?");
  if (filter.role.has_value()) absl::StrAppend(&sql, " AND role = ?");
  if (filter.slug.has_value()) absl::StrAppend(&sql, " AND slug = ?");
  absl::StrAppend(&sql, " ORDER BY id LIMIT ?");
  return database_->Read(
      [&](SqliteConnection& connection) -> absl::StatusOr<Page<ProfileRecord>> {
        TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                                  connection.Prepare(sql));
        StatementLease query(statement);
        int index = 0;
        statement->Bind(++index, page.after_id);
        if (filter.role.has_value()) {
          statement->Bind(++index, RoleText(*filter.role));
        }
        if (filter.slug.has_value()) {
          statement->Bind(++index, absl::string_view(*filter.slug));
        }
        statement->Bind(++index, int64_t{page.limit} + 1);
        return CollectPage<ProfileRecord>(query, page.limit, &ReadProfile);
      });
}

absl::StatusOr<ProfileRecord> ProfileStore::Update(
    absl::string_view id, const Mutation<ProfileRecord>& mutation) {
  return database_->Write([&](SqliteConnection& connection)
                              -> absl::StatusOr<ProfileRecord> {
    ProfileRecord updated;
    TENANTRY_RETURN_IF_ERROR(connection.InTransaction([&]() -> absl::Status {
      TENANTRY_ASSIGN_OR_RETURN(updated, GetProfileLocked(connection, id));
      const ProfileRecord original = updated;
      TENANTRY_RETURN_IF_ERROR(mutation(updated));
      // Identity and history are not the mutation's to change.
      updated.id = original.id;
      updated.user_id = original.user_id;
      updated.create_time = original.create_time;
      updated.update_time = CurrentTime();
      updated.revision = original.revision + 1;
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * statement,
          connection.Prepare(
              absl::StrCat("UPDATE profiles SET (", kProfileColumns, ") = (",
                           kProfilePlaceholders, ") WHERE id = ?")));
      StatementLease update(statement);
      BindProfile(*statement, updated);
      statement->Bind(kProfileColumnCount + 1, id);
      return DescribeProfileConflict(update->Execute().status(), updated);
    }));
    return updated;
  });
}

absl::Status ProfileStore::Delete(absl::string_view id,
                                  std::optional<int64_t> expected_revision) {
  return database_->Write([&](SqliteConnection& connection) {
    return connection.InTransaction([&]() -> absl::Status {
      TENANTRY_ASSIGN_OR_RETURN(const ProfileRecord profile,
                                GetProfileLocked(connection, id));
      if (expected_revision.has_value() &&
          *expected_revision != profile.revision) {
        return absl::AbortedError(absl::StrCat(
            "profile \"", id,
            "\" changed since the etag was read; get it again and retry"));
      }
      // The schema's ON DELETE SET NULL would clear the owner without a new
      // revision, so an old etag of the document would still match.
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * release,
          connection.Prepare("UPDATE documents SET owner_profile_id = NULL, "
                             "revision = revision + 1, update_time = ? "
                             "WHERE owner_profile_id = ?"));
      StatementLease release_documents(release);
      release_documents->BindAll(absl::ToUnixMicros(CurrentTime()), id);
      TENANTRY_RETURN_IF_ERROR(release_documents->Execute().status());
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * statement,
          connection.Prepare("DELETE FROM profiles WHERE id = ?"));
      StatementLease remove(statement);
      remove->BindAll(id);
      return remove->Execute().status();
    });
  });
}

absl::StatusOr<PostRecord> ProfileStore::CreatePost(
    const PostRecord& post, const CreateOptions& options) {
  PostRecord created = post;
  created.id = NewResourceId();
  created.create_time = created.update_time = CurrentTime();
  return database_->Write([&](SqliteConnection& connection)
                              -> absl::StatusOr<PostRecord> {
    if (options.request_key.has_value()) {
      TENANTRY_ASSIGN_OR_RETURN(const std::optional<std::string> earlier,
                                FindRequest(connection, *options.request_key));
      if (earlier.has_value()) {
        return ReadRepeatedCreate<PostRecord>(connection, *options.request_key,
                                              *earlier, "post", &GetPostLocked);
      }
    }
    TENANTRY_RETURN_IF_ERROR(
        GetProfileLocked(connection, post.profile_id).status());
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection.Prepare(absl::StrCat("INSERT INTO posts (", kPostColumns,
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?)")));
    StatementLease insert(statement);
    insert->BindAll(created.id, created.profile_id, created.content,
                    absl::StrJoin(created.media_urls, "\n"),
                    VisibilityText(created.visibility),
                    absl::ToUnixMicros(created.create_time),
                    absl::ToUnixMicros(created.update_time));
    TENANTRY_RETURN_IF_ERROR(insert->Execute().status());
    if (options.request_key.has_value()) {
      TENANTRY_RETURN_IF_ERROR(
          RecordRequest(connection, *options.request_key, created.id));
    }
    return created;
  });
}

absl::StatusOr<Page<PostRecord>> ProfileStore::ListPosts(
    absl::string_view profile_id, const PageRequest& page) {
  return database_->Read([&](SqliteConnection& connection)
                             -> absl::StatusOr<Page<PostRecord>> {
    TENANTRY_RETURN_IF_ERROR(GetProfileLocked(connection, profile_id).status());
    TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                              connection.Prepare(absl::StrCat(
                                  "SELECT ", kPostColumns,
                                  " FROM posts WHERE profile_id = ? AND id > ? "
                                  "ORDER BY id LIMIT ?")));
    StatementLease query(statement);
    query->BindAll(profile_id, page.after_id, int64_t{page.limit} + 1);
    return CollectPage<PostRecord>(query, page.limit, &ReadPost);
  });
}

}  // namespace tenantry::storage
