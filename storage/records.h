#ifndef TENANTRY_STORAGE_RECORDS_H_
#define TENANTRY_STORAGE_RECORDS_H_

// The rows that the stores read and write, free of gRPC and SQL types.
// Ids are bare ids ("acme", "01hx..."), never resource names.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tenantry::storage {

// Returns the current time at the microsecond precision that the stores
// keep, so that a record returned by a write equals the one read back.
inline absl::Time CurrentTime() {
  return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
}

enum class TenantState { kActive, kSuspended };

// Limits on one tenant's data; 0 means no limit.
struct TenantQuota {
  int64_t max_profiles = 0;
  int64_t max_documents = 0;
  int64_t max_document_bytes = 0;
};

struct TenantRecord {
  std::string id;
  std::string display_name;
  // The state before a soft delete, kept while `delete_time` is set.
  TenantState state = TenantState::kActive;
  absl::Time create_time;
  absl::Time update_time;
  // Incremented by every update; the source of the etag.
  int64_t revision = 0;
  // Both set while the tenant is soft-deleted, both unset otherwise.
  std::optional<absl::Time> delete_time;
  std::optional<absl::Time> purge_time;
  TenantQuota quota;
};

struct UserRecord {
  std::string id;
  std::string email;
  std::string display_name;
  absl::Time create_time;
  absl::Time update_time;
  int64_t revision = 0;
};

// A tenant's API key, without its secret.
struct ApiKeyRecord {
  std::string id;
  std::string tenant_id;
  std::string display_name;
  // Lowercase hex SHA-256 of the key's secret.
  std::string secret_sha256;
  absl::Time create_time;
};

enum class Role { kUnspecified, kStudent, kTeacher };
enum class Visibility { kPublic, kPrivate };
enum class VerificationStatus { kUnverified, kPending, kVerified, kRejected };

struct StudentInfo {
  std::string school;
  std::string class_name;
  std::string major;
  std::string academic_year;
};

struct TeacherInfo {
  std::string work_unit;
  std::string subject;
  std::string specialty;
  std::string title;
};

struct PrivacySettings {
  Visibility visibility = Visibility::kPublic;
  bool show_contact = false;
  bool allow_interaction = true;
};

struct ProfileRecord {
  std::string id;
  std::string user_id;
  std::string full_name;
  std::string phone;
  std::string address;
  std::string bio;
  std::string avatar_url;
  Role role = Role::kUnspecified;
  StudentInfo student_info;
  TeacherInfo teacher_info;
  VerificationStatus verification_status = VerificationStatus::kUnverified;
  PrivacySettings privacy_settings;
  // Unique within the tenant when set.
  std::optional<std::string> slug;
  // YYYY-MM-DD when set.
  std::optional<std::string> date_of_birth;
  absl::Time create_time;
  absl::Time update_time;
  int64_t revision = 0;
};

struct PostRecord {
  std::string id;
  std::string profile_id;
  std::string content;
  std::vector<std::string> media_urls;
  Visibility visibility = Visibility::kPublic;
  absl::Time create_time;
  absl::Time update_time;
};

struct DocumentRecord {
  std::string id;
  std::string title;
  // Empty when read without content; see `size_bytes` for the length.
  std::string content;
  std::string content_type;
  std::optional<std::string> owner_profile_id;
  int64_t size_bytes = 0;
  // Lowercase hex SHA-256 of the content.
  std::string sha256;
  absl::Time create_time;
  absl::Time update_time;
  int64_t revision = 0;
};

// Keyset pagination: rows are ordered by id, and a page starts after the
// last id of the previous page.
struct PageRequest {
  // Number of rows to return, at least 1.
  int limit = 50;
  // Empty for the first page.
  std::string after_id;
};

template <typename Record>
struct Page {
  std::vector<Record> items;
  // Whether rows follow the last item.
  bool has_more = false;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_RECORDS_H_
