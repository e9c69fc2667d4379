#include "tests/fuzz/property_checks.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "services/field_violations.h"

namespace tenantry::fuzz {
namespace {

// Protobuf logs an error and carries on when it serializes a string field
// that is not valid UTF-8, such as a field violation that quotes raw
// client bytes. Clients whose parser checks UTF-8, as protobuf's C++ parser
// does, then fail to parse the error details, so any protobuf error is a
// failure here.
void FailOnProtobufError(google::protobuf::LogLevel level, const char* filename,
                         int line, const std::string& message) {
  if (level < google::protobuf::LOGLEVEL_ERROR) return;
  FailProperty("protobuf logged no error", filename, line, message);
}

const bool kProtobufErrorsFail =
    (google::protobuf::SetLogHandler(&FailOnProtobufError), true);

// Checks the BadRequest payload of `status`. Unless `field` is nullopt,
// every violation must name it.
void CheckPayload(const absl::Status& status,
                  std::optional<absl::string_view> field,
                  absl::string_view input) {
  const auto payload = status.GetPayload(services::kBadRequestTypeUrl);
  FUZZ_CHECK(payload.has_value(), "input ", Escaped(input), " gave ",
             status.ToString(), " without a google.rpc.BadRequest payload");
  google::rpc::BadRequest bad_request;
  FUZZ_CHECK(bad_request.ParseFromString(std::string(*payload)), "input ",
             Escaped(input), " gave a BadRequest payload that does not parse");
  FUZZ_CHECK(bad_request.field_violations_size() > 0, "input ", Escaped(input),
             " gave a BadRequest payload without violations");
  std::vector<std::string> violations;
  for (const google::rpc::BadRequest::FieldViolation& violation :
       bad_request.field_violations()) {
    if (field.has_value()) {
      FUZZ_CHECK(violation.field() == *field, "input ", Escaped(input),
                 " gave a violation of ", Escaped(violation.field()),
                 "; expected ", *field);
    }
    violations.push_back(
        absl::StrCat(violation.field(), ": ", violation.description()));
  }
  const std::string joined = absl::StrJoin(violations, "; ");
  FUZZ_CHECK(joined == status.message(), "input ", Escaped(input),
             " gave the message ", Escaped(status.message()),
             " but the BadRequest payload lists ", Escaped(joined));
}

}  // namespace

void FailProperty(const char* condition, const char* file, int line,
                  const std::string& details) {
  std::fprintf(stderr, "property failed: %s\n  at %s:%d\n  %s\n", condition,
               file, line, details.c_str());
  std::fflush(stderr);
  std::abort();
}

std::string Escaped(absl::string_view value) {
  return absl::StrCat("\"", absl::CHexEscape(value), "\"");
}

bool IsPrintableAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::optional<size_t> CountUtf8CodePoints(absl::string_view text) {
  // The lead byte sets the sequence length and, for E0, ED, F0 and F4, a
  // narrower range for the second byte, which excludes overlong forms,
  // surrogates (U+D800 to U+DFFF) and code points above U+10FFFF.
  size_t code_points = 0;
  size_t i = 0;
  const auto byte_at = [&](size_t index) -> int {
    return index < text.size() ? static_cast<unsigned char>(text[index]) : -1;
  };
  const auto in_range = [](int byte, int low, int high) {
    return byte >= low && byte <= high;
  };
  while (i < text.size()) {
    const int lead = byte_at(i);
    size_t length = 0;
    int second_low = 0x80;
    int second_high = 0xbf;
    if (lead <= 0x7f) {
      length = 1;
    } else if (in_range(lead, 0xc2, 0xdf)) {
      length = 2;
    } else if (in_range(lead, 0xe0, 0xef)) {
      length = 3;
      if (lead == 0xe0) second_low = 0xa0;
      if (lead == 0xed) second_high = 0x9f;
    } else if (in_range(lead, 0xf0, 0xf4)) {
      length = 4;
      if (lead == 0xf0) second_low = 0x90;
      if (lead == 0xf4) second_high = 0x8f;
    } else {
      return std::nullopt;
    }
    if (length >= 2 && !in_range(byte_at(i + 1), second_low, second_high)) {
      return std::nullopt;
    }
    for (size_t k = 2; k < length; ++k) {
      if (!in_range(byte_at(i + k), 0x80, 0xbf)) return std::nullopt;
    }
    i += length;
    ++code_points;
  }
  return code_points;
}

void CheckInvalidArgument(const absl::Status& status, absl::string_view prefix,
                          size_t max_bytes, absl::string_view input) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, "input ",
             Escaped(input), " gave ", status.ToString(),
             "; expected INVALID_ARGUMENT");
  FUZZ_CHECK(absl::StartsWith(status.message(), prefix), "input ",
             Escaped(input), " gave the message ", Escaped(status.message()),
             "; expected it to start with ", Escaped(prefix));
  FUZZ_CHECK(IsPrintableAscii(status.message()), "input ", Escaped(input),
             " gave a message with raw non-printable bytes: ",
             Escaped(status.message()));
  FUZZ_CHECK(status.message().size() <= max_bytes, "input ", Escaped(input),
             " gave a message of ", status.message().size(),
             " bytes; expected at most ", max_bytes);
}

void CheckInvalidFieldError(const absl::Status& status, absl::string_view field,
                            size_t max_bytes, absl::string_view input) {
  CheckInvalidArgument(status, absl::StrCat(field, ": "), max_bytes, input);
  CheckPayload(status, field, input);
}

void CheckBadRequestPayload(const absl::Status& status,
                            absl::string_view input) {
  CheckPayload(status, std::nullopt, input);
}

}  // namespace tenantry::fuzz
