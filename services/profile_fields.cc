#include "services/profile_fields.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/etag.h"
#include "services/field_violations.h"
#include "services/resource_names.h"
#include "services/timestamps.h"

namespace tenantry::services {
namespace {

using storage::ProfileRecord;
using storage::Role;
using storage::VerificationStatus;
using storage::Visibility;
using tenantry::v1::Profile;

Role RoleFromProto(tenantry::v1::Role role) {
  switch (role) {
    case tenantry::v1::STUDENT:
      return Role::kStudent;
    case tenantry::v1::TEACHER:
      return Role::kTeacher;
    default:
      return Role::kUnspecified;
  }
}

tenantry::v1::Role RoleToProto(Role role) {
  switch (role) {
    case Role::kStudent:
      return tenantry::v1::STUDENT;
    case Role::kTeacher:
      return tenantry::v1::TEACHER;
    case Role::kUnspecified:
      break;
  }
  return tenantry::v1::ROLE_UNSPECIFIED;
}

Visibility VisibilityFromProto(tenantry::v1::Visibility visibility) {
  return visibility == tenantry::v1::PRIVATE ? Visibility::kPrivate
                                             : Visibility::kPublic;
}

tenantry::v1::Visibility VisibilityToProto(Visibility visibility) {
  return visibility == Visibility::kPrivate ? tenantry::v1::PRIVATE
                                            : tenantry::v1::PUBLIC;
}

VerificationStatus VerificationFromProto(Profile::VerificationStatus status) {
  switch (status) {
    case Profile::PENDING:
      return VerificationStatus::kPending;
    case Profile::VERIFIED:
      return VerificationStatus::kVerified;
    case Profile::REJECTED:
      return VerificationStatus::kRejected;
    default:
      return VerificationStatus::kUnverified;
  }
}

Profile::VerificationStatus VerificationToProto(VerificationStatus status) {
  switch (status) {
    case VerificationStatus::kPending:
      return Profile::PENDING;
    case VerificationStatus::kVerified:
      return Profile::VERIFIED;
    case VerificationStatus::kRejected:
      return Profile::REJECTED;
    case VerificationStatus::kUnverified:
      break;
  }
  return Profile::UNVERIFIED;
}

bool IsEmpty(const storage::StudentInfo& info) {
  return info.school.empty() && info.class_name.empty() && info.major.empty() &&
         info.academic_year.empty();
}

bool IsEmpty(const storage::TeacherInfo& info) {
  return info.work_unit.empty() && info.subject.empty() &&
         info.specialty.empty() && info.title.empty();
}

// Whether the request writes any part of the message at `path`.
bool SelectsAnyOf(const FieldSelector& selected, absl::string_view path,
                  const std::vector<std::string>& children) {
  if (selected(path)) return true;
  for (const std::string& child : children) {
    if (selected(absl::StrCat(path, ".", child))) return true;
  }
  return false;
}

const std::vector<std::string>& StudentInfoFields() {
  static const auto* const fields = new std::vector<std::string>{
      "school", "class_name", "major", "academic_year"};
  return *fields;
}

const std::vector<std::string>& TeacherInfoFields() {
  static const auto* const fields = new std::vector<std::string>{
      "work_unit", "subject", "specialty", "title"};
  return *fields;
}

void CopyStudentInfo(const tenantry::v1::StudentInfo& from,
                     const FieldSelector& selected, storage::StudentInfo& to) {
  if (selected("student_info.school")) to.school = from.school();
  if (selected("student_info.class_name")) to.class_name = from.class_name();
  if (selected("student_info.major")) to.major = from.major();
  if (selected("student_info.academic_year")) {
    to.academic_year = from.academic_year();
  }
}

void CopyTeacherInfo(const tenantry::v1::TeacherInfo& from,
                     const FieldSelector& selected, storage::TeacherInfo& to) {
  if (selected("teacher_info.work_unit")) to.work_unit = from.work_unit();
  if (selected("teacher_info.subject")) to.subject = from.subject();
  if (selected("teacher_info.specialty")) to.specialty = from.specialty();
  if (selected("teacher_info.title")) to.title = from.title();
}

void CopyPrivacySettings(const tenantry::v1::PrivacySettings& from,
                         const FieldSelector& selected,
                         storage::PrivacySettings& to) {
  const storage::PrivacySettings defaults;
  if (selected("privacy_settings.visibility")) {
    to.visibility = from.visibility() == tenantry::v1::VISIBILITY_UNSPECIFIED
                        ? defaults.visibility
                        : VisibilityFromProto(from.visibility());
  }
  if (selected("privacy_settings.show_contact")) {
    to.show_contact = from.has_show_contact() ? from.show_contact().value()
                                              : defaults.show_contact;
  }
  if (selected("privacy_settings.allow_interaction")) {
    to.allow_interaction = from.has_allow_interaction()
                               ? from.allow_interaction().value()
                               : defaults.allow_interaction;
  }
}

std::optional<std::string> OptionalText(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// Checks the length of each selected field of a sub-message.
template <typename Message>
void ValidateInfoLengths(const Message& message, absl::string_view path,
                         const std::vector<std::string>& children,
                         const std::vector<const std::string*>& values,
                         const FieldSelector& selected,
                         RequestValidator& validator) {
  for (size_t i = 0; i < children.size(); ++i) {
    const std::string child_path = absl::StrCat(path, ".", children[i]);
    if (selected(child_path)) {
      validator.MaxLength(absl::StrCat("profile.", child_path), *values[i],
                          kMaxShortTextLength);
    }
  }
}

}  // namespace

bool SelectAllFields(absl::string_view path) { return true; }

const UpdateMask::Fields& ProfileMaskFields() {
  static const auto* const fields = [] {
    auto* fields = new UpdateMask::Fields;
    fields->updatable = {"full_name",  "phone", "address",     "bio",
                         "avatar_url", "role",  "student_info"};
    for (const std::string& child : StudentInfoFields()) {
      fields->updatable.push_back(absl::StrCat("student_info.", child));
    }
    fields->updatable.push_back("teacher_info");
    for (const std::string& child : TeacherInfoFields()) {
      fields->updatable.push_back(absl::StrCat("teacher_info.", child));
    }
    for (const char* path :
         {"verification_status", "privacy_settings",
          "privacy_settings.visibility", "privacy_settings.show_contact",
          "privacy_settings.allow_interaction", "slug", "date_of_birth"}) {
      fields->updatable.push_back(path);
    }
    fields->ignored = {"name", "user", "create_time", "update_time", "etag"};
    return fields;
  }();
  return *fields;
}

std::vector<std::string> SetProfilePaths(const Profile& profile) {
  std::vector<std::string> paths;
  const auto add_if = [&](bool set, const char* path) {
    if (set) paths.push_back(path);
  };
  add_if(!profile.full_name().empty(), "full_name");
  add_if(!profile.phone().empty(), "phone");
  add_if(!profile.address().empty(), "address");
  add_if(!profile.bio().empty(), "bio");
  add_if(!profile.avatar_url().empty(), "avatar_url");
  add_if(profile.role() != tenantry::v1::ROLE_UNSPECIFIED, "role");

  // Sub-messages add the paths of their set fields, not their own path, so
  // that an update without a mask keeps the sub-fields it leaves unset.
  const tenantry::v1::StudentInfo& student = profile.student_info();
  add_if(!student.school().empty(), "student_info.school");
  add_if(!student.class_name().empty(), "student_info.class_name");
  add_if(!student.major().empty(), "student_info.major");
  add_if(!student.academic_year().empty(), "student_info.academic_year");

  const tenantry::v1::TeacherInfo& teacher = profile.teacher_info();
  add_if(!teacher.work_unit().empty(), "teacher_info.work_unit");
  add_if(!teacher.subject().empty(), "teacher_info.subject");
  add_if(!teacher.specialty().empty(), "teacher_info.specialty");
  add_if(!teacher.title().empty(), "teacher_info.title");

  add_if(
      profile.verification_status() != Profile::VERIFICATION_STATUS_UNSPECIFIED,
      "verification_status");

  const tenantry::v1::PrivacySettings& privacy = profile.privacy_settings();
  add_if(privacy.visibility() != tenantry::v1::VISIBILITY_UNSPECIFIED,
         "privacy_settings.visibility");
  add_if(privacy.has_show_contact(), "privacy_settings.show_contact");
  add_if(privacy.has_allow_interaction(), "privacy_settings.allow_interaction");

  add_if(!profile.slug().empty(), "slug");
  add_if(!profile.date_of_birth().empty(), "date_of_birth");
  return paths;
}

void ValidateProfileFields(const Profile& profile,
                           const FieldSelector& selected,
                           RequestValidator& validator) {
  if (selected("full_name")) {
    validator.MaxLength("profile.full_name", profile.full_name(),
                        kMaxFullNameLength);
  }
  if (selected("phone")) validator.Phone("profile.phone", profile.phone());
  if (selected("address")) {
    validator.MaxLength("profile.address", profile.address(),
                        kMaxAddressLength);
  }
  if (selected("bio")) {
    validator.MaxLength("profile.bio", profile.bio(), kMaxBioLength);
  }
  if (selected("avatar_url")) {
    validator.HttpUrl("profile.avatar_url", profile.avatar_url());
  }
  if (selected("role")) {
    validator.EnumValue("profile.role", profile.role(),
                        tenantry::v1::Role_IsValid(profile.role()));
  }
  const auto& student = profile.student_info();
  ValidateInfoLengths(student, "student_info", StudentInfoFields(),
                      {&student.school(), &student.class_name(),
                       &student.major(), &student.academic_year()},
                      selected, validator);
  const auto& teacher = profile.teacher_info();
  ValidateInfoLengths(teacher, "teacher_info", TeacherInfoFields(),
                      {&teacher.work_unit(), &teacher.subject(),
                       &teacher.specialty(), &teacher.title()},
                      selected, validator);
  if (selected("verification_status")) {
    validator.EnumValue(
        "profile.verification_status", profile.verification_status(),
        Profile::VerificationStatus_IsValid(profile.verification_status()));
  }
  if (selected("privacy_settings.visibility")) {
    const tenantry::v1::Visibility visibility =
        profile.privacy_settings().visibility();
    validator.EnumValue("profile.privacy_settings.visibility", visibility,
                        tenantry::v1::Visibility_IsValid(visibility));
  }
  if (selected("slug")) validator.Slug("profile.slug", profile.slug());
  if (selected("date_of_birth")) {
    const std::string today =
        absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone());
    // Dates in the form YYYY-MM-DD compare correctly as text.
    if (validator.Date("profile.date_of_birth", profile.date_of_birth()) &&
        profile.date_of_birth() > today) {
      validator.AddViolation(
          "profile.date_of_birth",
          absl::StrCat("\"", profile.date_of_birth(), "\" is in the future"));
    }
  }
}

absl::Status ApplyProfileFields(const Profile& profile,
                                const FieldSelector& selected,
                                ProfileRecord& record) {
  const Role old_role = record.role;
  if (selected("full_name")) record.full_name = profile.full_name();
  if (selected("phone")) record.phone = profile.phone();
  if (selected("address")) record.address = profile.address();
  if (selected("bio")) record.bio = profile.bio();
  if (selected("avatar_url")) record.avatar_url = profile.avatar_url();
  if (selected("role")) record.role = RoleFromProto(profile.role());
  CopyStudentInfo(profile.student_info(), selected, record.student_info);
  CopyTeacherInfo(profile.teacher_info(), selected, record.teacher_info);
  if (selected("verification_status")) {
    record.verification_status =
        VerificationFromProto(profile.verification_status());
  }
  CopyPrivacySettings(profile.privacy_settings(), selected,
                      record.privacy_settings);
  if (selected("slug")) record.slug = OptionalText(profile.slug());
  if (selected("date_of_birth")) {
    record.date_of_birth = OptionalText(profile.date_of_birth());
  }

  // A role change drops the details of the old role that this request
  // does not write.
  if (record.role != old_role) {
    if (!SelectsAnyOf(selected, "student_info", StudentInfoFields())) {
      record.student_info = {};
    }
    if (!SelectsAnyOf(selected, "teacher_info", TeacherInfoFields())) {
      record.teacher_info = {};
    }
  }
  if (record.role != Role::kStudent && !IsEmpty(record.student_info)) {
    return InvalidFieldError("profile.student_info",
                             "is only allowed with role STUDENT; set "
                             "profile.role to STUDENT in the same request");
  }
  if (record.role != Role::kTeacher && !IsEmpty(record.teacher_info)) {
    return InvalidFieldError("profile.teacher_info",
                             "is only allowed with role TEACHER; set "
                             "profile.role to TEACHER in the same request");
  }
  return absl::OkStatus();
}

void ProfileToProto(absl::string_view tenant_id, const ProfileRecord& record,
                    Profile* profile) {
  profile->set_name(ProfileName(tenant_id, record.id));
  profile->set_user(UserName(record.user_id));
  profile->set_full_name(record.full_name);
  profile->set_phone(record.phone);
  profile->set_address(record.address);
  profile->set_bio(record.bio);
  profile->set_avatar_url(record.avatar_url);
  profile->set_role(RoleToProto(record.role));
  if (record.role == Role::kStudent) {
    auto* student = profile->mutable_student_info();
    student->set_school(record.student_info.school);
    student->set_class_name(record.student_info.class_name);
    student->set_major(record.student_info.major);
    student->set_academic_year(record.student_info.academic_year);
  }
  if (record.role == Role::kTeacher) {
    auto* teacher = profile->mutable_teacher_info();
    teacher->set_work_unit(record.teacher_info.work_unit);
    teacher->set_subject(record.teacher_info.subject);
    teacher->set_specialty(record.teacher_info.specialty);
    teacher->set_title(record.teacher_info.title);
  }
  profile->set_verification_status(
      VerificationToProto(record.verification_status));
  auto* privacy = profile->mutable_privacy_settings();
  privacy->set_visibility(
      VisibilityToProto(record.privacy_settings.visibility));
  privacy->mutable_show_contact()->set_value(
      record.privacy_settings.show_contact);
  privacy->mutable_allow_interaction()->set_value(
      record.privacy_settings.allow_interaction);
  profile->set_slug(record.slug.value_or(""));
  profile->set_date_of_birth(record.date_of_birth.value_or(""));
  SetTimestamp(record.create_time, profile->mutable_create_time());
  SetTimestamp(record.update_time, profile->mutable_update_time());
  profile->set_etag(EtagForRevision(record.revision));
}

void ValidatePost(const tenantry::v1::Post& post, RequestValidator& validator) {
  validator.Required("post.content", post.content());
  validator.MaxLength("post.content", post.content(), kMaxPostLength);
  if (post.media_urls_size() > static_cast<int>(kMaxMediaUrls)) {
    validator.AddViolation(
        "post.media_urls",
        absl::StrCat("has ", post.media_urls_size(),
                     " entries; the maximum is ", kMaxMediaUrls));
  }
  for (int i = 0; i < post.media_urls_size(); ++i) {
    const std::string field = absl::StrCat("post.media_urls[", i, "]");
    validator.Required(field, post.media_urls(i));
    validator.HttpUrl(field, post.media_urls(i));
  }
  validator.EnumValue("post.visibility", post.visibility(),
                      tenantry::v1::Visibility_IsValid(post.visibility()));
}

storage::PostRecord PostFromProto(const tenantry::v1::Post& post,
                                  absl::string_view profile_id) {
  storage::PostRecord record;
  record.profile_id = std::string(profile_id);
  record.content = post.content();
  record.media_urls.assign(post.media_urls().begin(), post.media_urls().end());
  record.visibility = VisibilityFromProto(post.visibility());
  return record;
}

void PostToProto(absl::string_view tenant_id, const storage::PostRecord& record,
                 tenantry::v1::Post* post) {
  post->set_name(PostName(tenant_id, record.profile_id, record.id));
  post->set_content(record.content);
  for (const std::string& url : record.media_urls) post->add_media_urls(url);
  post->set_visibility(VisibilityToProto(record.visibility));
  SetTimestamp(record.create_time, post->mutable_create_time());
  SetTimestamp(record.update_time, post->mutable_update_time());
}

bool ParseRoleName(absl::string_view name, Role* role) {
  tenantry::v1::Role value;
  if (!tenantry::v1::Role_Parse(std::string(name), &value)) return false;
  *role = RoleFromProto(value);
  return true;
}

}  // namespace tenantry::services
