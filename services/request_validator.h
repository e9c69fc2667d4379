#ifndef TENANTRY_SERVICES_REQUEST_VALIDATOR_H_
#define TENANTRY_SERVICES_REQUEST_VALIDATOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/field_violations.h"

namespace tenantry::services {

// Length limits of text fields, in Unicode characters (code points).
inline constexpr size_t kMaxDisplayNameLength = 200;
inline constexpr size_t kMaxFullNameLength = 200;
inline constexpr size_t kMaxAddressLength = 500;
inline constexpr size_t kMaxBioLength = 5000;
inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr size_t kMaxShortTextLength = 200;
inline constexpr size_t kMaxTitleLength = 500;
inline constexpr size_t kMaxPostLength = 10000;
inline constexpr size_t kMaxMediaUrls = 20;
inline constexpr size_t kMaxEmailLength = 254;
// RFC 5321 limits the part before the @ to 64 octets.
inline constexpr size_t kMaxEmailLocalPartLength = 64;
inline constexpr size_t kMaxSlugLength = 63;

// Collects every problem with a request's fields, so that a client learns
// all of them from one call. Not thread-safe; one per request.
class RequestValidator {
 public:
  // Records that `field` is invalid because of `description`, which reads
  // as the end of "field ...", for example "is required".
  void AddViolation(absl::string_view field, absl::string_view description);

  // Rejects an empty value and one of only ASCII whitespace.
  void Required(absl::string_view field, absl::string_view value);
  // Also rejects NUL characters, which not every backend can store.
  void MaxLength(absl::string_view field, absl::string_view value,
                 size_t max_length);
  // An empty value passes the format checks below; combine with Required.
  void Email(absl::string_view field, absl::string_view value);
  void Phone(absl::string_view field, absl::string_view value);
  void HttpUrl(absl::string_view field, absl::string_view value);
  void Slug(absl::string_view field, absl::string_view value);
  // `type/subtype`, optionally followed by `; parameters`.
  void MediaType(absl::string_view field, absl::string_view value);
  // Returns whether `value` passed.
  bool Date(absl::string_view field, absl::string_view value);
  // Passes when `valid` is true; otherwise names the enum value.
  void EnumValue(absl::string_view field, int value, bool valid);

  bool ok() const { return violations_.empty(); }

  // Returns OK, or INVALID_ARGUMENT listing every violation as
  // "field: description" with a google.rpc.BadRequest detail.
  absl::Status Finish() const;

 private:
  std::vector<FieldViolation> violations_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_REQUEST_VALIDATOR_H_
