#ifndef TENANTRY_TESTS_FUZZ_PROPERTY_CHECKS_H_
#define TENANTRY_TESTS_FUZZ_PROPERTY_CHECKS_H_

// Property checks over the request parsers of services/ and storage/ids.h,
// run by the libFuzzer target request_parsing_fuzzer.cc and by the corpus
// replay test. A failed property prints what failed and aborts, so that
// libFuzzer saves the input as a crash.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tenantry::fuzz {

// Prints "property failed" with the condition, its place and `details` to
// stderr, then aborts.
[[noreturn]] void FailProperty(const char* condition, const char* file,
                               int line, const std::string& details);

// Fails the run unless `condition` holds. The remaining arguments go to
// absl::StrCat and should name the inputs; wrap raw inputs in Escaped().
#define FUZZ_CHECK(condition, ...)                                   \
  do {                                                               \
    if (!(condition)) {                                              \
      ::tenantry::fuzz::FailProperty(#condition, __FILE__, __LINE__, \
                                     ::absl::StrCat(__VA_ARGS__));   \
    }                                                                \
  } while (false)

// Maximum size of an error message about one request value. Every parser
// quotes values with storage::QuoteForMessage, which keeps at most 80 bytes
// of the value, each escaped to at most 4 bytes, so a message about one
// value stays far below this however long the value is.
inline constexpr size_t kMaxMessageBytes = 1024;

// Returns `value` C-escaped in full and in double quotes, for failure
// output.
std::string Escaped(absl::string_view value);

// Returns whether every byte of `text` is printable ASCII (0x20 to 0x7e).
// Error messages must be, because they quote client input into logs.
bool IsPrintableAscii(absl::string_view text);

// Returns the number of code points of `text` if it is valid UTF-8 as
// protobuf checks it for string fields (no overlong forms, no surrogates,
// nothing above U+10FFFF), else nullopt.
std::optional<size_t> CountUtf8CodePoints(absl::string_view text);

// Checks that `status` is INVALID_ARGUMENT and that its message starts with
// `prefix`, is printable ASCII and has at most `max_bytes` bytes. `input` is
// the value that was parsed, for failure output.
void CheckInvalidArgument(const absl::Status& status, absl::string_view prefix,
                          size_t max_bytes, absl::string_view input);

// Checks `status` as CheckInvalidArgument does with the prefix
// "<field>: ", and checks its google.rpc.BadRequest payload: it parses,
// every violation names `field`, and the violations written as
// "field: description" and joined by "; " are the message.
void CheckInvalidFieldError(const absl::Status& status, absl::string_view field,
                            size_t max_bytes, absl::string_view input);

// Checks the google.rpc.BadRequest payload of `status` as
// CheckInvalidFieldError does, for violations of any fields.
void CheckBadRequestPayload(const absl::Status& status,
                            absl::string_view input);

// The checks below take parts of one fuzz input. Each calls the functions
// of one header and checks their results against the documented formats.

// storage::ValidateTenantId, as applied to x-tenant-id metadata values and
// to CreateTenant's tenant_id.
void CheckTenantIdProperties(absl::string_view id);

// Every check of services::RequestValidator on `value`, alone and
// collected in one validator, and what Finish() returns.
void CheckRequestValidatorProperties(absl::string_view value);

// The parsers of services/resource_names.h on `name`, for a call whose
// x-tenant-id is `call_tenant_id`.
void CheckResourceNameProperties(absl::string_view name,
                                 absl::string_view call_tenant_id);

// services::ParsePageRequest and NextPageToken.
void CheckPaginationProperties(int32_t page_size, absl::string_view page_token,
                               absl::string_view arguments);

// services::ParseEtag, EtagForRevision and CheckEtag.
void CheckEtagProperties(absl::string_view etag);

// services::ToSnakeCasePath and UpdateMask with `paths` as the request's
// update_mask.
void CheckUpdateMaskProperties(const std::vector<std::string>& paths);

// services::ParseFilter with the fields of ListProfiles and ListDocuments.
void CheckListFilterProperties(absl::string_view filter);

}  // namespace tenantry::fuzz

#endif  // TENANTRY_TESTS_FUZZ_PROPERTY_CHECKS_H_
