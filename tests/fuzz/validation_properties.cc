// Properties of storage::ValidateTenantId and services::RequestValidator.
// Each check compares the result with the format that the header or the
// README documents, written here independently of the implementation.

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "services/request_validator.h"
#include "storage/ids.h"
#include "tests/fuzz/property_checks.h"

namespace tenantry::fuzz {
namespace {

using services::RequestValidator;

// The documented maximum length of a tenant id (storage::kTenantIdFormat).
constexpr size_t kMaxTenantIdLength = 63;

// Returns whether `value` contains an ASCII control character, a space or
// DEL, which email addresses and URLs must not contain.
bool HasControlOrSpace(absl::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char c) {
    const unsigned char byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

// Returns the ASCII letters and digits of `value`, at most `max_size` of
// them, to build values that must pass a check.
std::string AlphanumericPart(absl::string_view value, size_t max_size) {
  std::string part;
  for (char c : value) {
    if (part.size() == max_size) break;
    if (absl::ascii_isalnum(c)) part.push_back(c);
  }
  return part;
}

// Runs `check` on a fresh validator and on `combined`. Checks that the
// fresh validator's ok() agrees with its Finish(), and that a failed
// Finish() is INVALID_ARGUMENT naming `field`. Appends the message of a
// failed Finish() to `messages` and returns the status.
template <typename Check>
absl::Status RunCheck(absl::string_view field, absl::string_view value,
                      const Check& check, RequestValidator& combined,
                      std::vector<std::string>& messages) {
  RequestValidator alone;
  check(alone);
  check(combined);
  const absl::Status status = alone.Finish();
  FUZZ_CHECK(status.ok() == alone.ok(), "field ", field, " with value ",
             Escaped(value), ": ok() is ", alone.ok(), " but Finish() is ",
             status.ToString());
  if (!status.ok()) {
    CheckInvalidFieldError(status, field, kMaxMessageBytes, value);
    messages.emplace_back(status.message());
  }
  return status;
}

void CheckRequired(absl::string_view value, RequestValidator& combined,
                   std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.full_name";
  const absl::Status status = RunCheck(
      kField, value, [&](RequestValidator& v) { v.Required(kField, value); },
      combined, messages);
  const bool blank = absl::StripAsciiWhitespace(value).empty();
  FUZZ_CHECK(status.ok() == !blank, "Required(", Escaped(value), ") returned ",
             status.ToString());
  if (!status.ok()) {
    FUZZ_CHECK(status.message() ==
                   (value.empty() ? "profile.full_name: is required"
                                  : "profile.full_name: is required and must "
                                    "not be only whitespace"),
               "Required(", Escaped(value), ") gave ",
               Escaped(status.message()));
  }
}

void CheckMaxLength(absl::string_view value, size_t max_length,
                    RequestValidator& combined,
                    std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.bio";
  const absl::Status status = RunCheck(
      kField, value,
      [&](RequestValidator& v) { v.MaxLength(kField, value, max_length); },
      combined, messages);
  const bool has_nul = value.find('\0') != absl::string_view::npos;
  FUZZ_CHECK(!has_nul || !status.ok(), "MaxLength(", Escaped(value),
             ") accepted a NUL character");
  if (has_nul) {
    FUZZ_CHECK(absl::StrContains(status.message(), "NUL"), "MaxLength(",
               Escaped(value), ") gave ", Escaped(status.message()),
               " without naming the NUL character");
  }

  // Protobuf only lets valid UTF-8 into string fields, and the limit
  // counts code points, so only valid UTF-8 has a defined length.
  const std::optional<size_t> code_points = CountUtf8CodePoints(value);
  if (!code_points.has_value()) return;
  const bool too_long = *code_points > max_length;
  FUZZ_CHECK(status.ok() == (!too_long && !has_nul), "MaxLength(",
             Escaped(value), ", ", max_length, ") of ", *code_points,
             " code points returned ", status.ToString());
  if (too_long) {
    const std::string expected = absl::StrCat(
        "is ", *code_points, " characters long; the maximum is ", max_length);
    FUZZ_CHECK(absl::StrContains(status.message(), expected), "MaxLength(",
               Escaped(value), ", ", max_length, ") gave ",
               Escaped(status.message()), "; expected it to contain ",
               Escaped(expected));
  }
}

void CheckEmail(absl::string_view value, RequestValidator& combined,
                std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "user.email";
  const auto email_status = [&](absl::string_view email) {
    RequestValidator validator;
    validator.Email(kField, email);
    return validator.Finish();
  };
  const absl::Status status = RunCheck(
      kField, value, [&](RequestValidator& v) { v.Email(kField, value); },
      combined, messages);
  if (value.empty()) {
    FUZZ_CHECK(status.ok(), "Email(\"\") returned ", status.ToString(),
               "; an empty value is for Required to reject");
    return;
  }
  if (value.size() > services::kMaxEmailLength) {
    FUZZ_CHECK(!status.ok(), "Email accepted ", value.size(),
               " bytes; RFC 5321 allows ", services::kMaxEmailLength);
  }
  if (status.ok()) {
    const size_t at = value.find('@');
    FUZZ_CHECK(at != absl::string_view::npos && at > 0, "Email accepted ",
               Escaped(value), " without a local part and '@'");
    FUZZ_CHECK(value.find('@', at + 1) == absl::string_view::npos,
               "Email accepted ", Escaped(value), " with two '@'");
    FUZZ_CHECK(!HasControlOrSpace(value), "Email accepted ", Escaped(value),
               " with a control character or space");
    // Neither the local part nor the domain has an empty part between
    // dots.
    const absl::string_view local = value.substr(0, at);
    FUZZ_CHECK(local.size() <= 64, "Email accepted ", Escaped(value),
               " whose local part is longer than 64 bytes");
    FUZZ_CHECK(local.front() != '.' && local.back() != '.' &&
                   !absl::StrContains(local, ".."),
               "Email accepted ", Escaped(value),
               " whose local part has an empty dot-separated part");
    const absl::string_view domain = value.substr(at + 1);
    FUZZ_CHECK(absl::StrContains(domain, '.') && domain.front() != '.' &&
                   domain.back() != '.' && !absl::StrContains(domain, ".."),
               "Email accepted ", Escaped(value),
               " whose domain is not two or more non-empty labels");
  }

  // Plain addresses built from the input must pass, and the same local
  // part without a domain must not.
  const std::string plain_local = AlphanumericPart(value, 64);
  if (plain_local.empty()) return;
  for (absl::string_view domain : {"example.com", "mail.example.co.uk"}) {
    const std::string email = absl::StrCat(plain_local, "@", domain);
    const absl::Status plain = email_status(email);
    FUZZ_CHECK(plain.ok(), "Email rejected ", Escaped(email), ": ",
               plain.ToString());
  }
  FUZZ_CHECK(!email_status(plain_local).ok(), "Email accepted ",
             Escaped(plain_local), " without '@'");
  FUZZ_CHECK(!email_status(absl::StrCat("@", plain_local, ".com")).ok(),
             "Email accepted @", plain_local, ".com without a local part");
}

void CheckPhone(absl::string_view value, RequestValidator& combined,
                std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.phone";
  const absl::Status status = RunCheck(
      kField, value, [&](RequestValidator& v) { v.Phone(kField, value); },
      combined, messages);
  // The format in the error message: 3 to 15 digits, an optional leading
  // '+', and spaces, '-', '.' or parentheses.
  const size_t digits = std::count_if(
      value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool allowed_characters =
      value.find_first_not_of("0123456789 -.()+") == absl::string_view::npos;
  const bool plus_leads_or_absent =
      value.find('+', 1) == absl::string_view::npos;
  const bool valid =
      value.empty() || (allowed_characters && plus_leads_or_absent &&
                        digits >= 3 && digits <= 15);
  FUZZ_CHECK(status.ok() == valid, "Phone(", Escaped(value), ") returned ",
             status.ToString(), "; the documented format says ",
             valid ? "valid" : "invalid");
}

void CheckHttpUrl(absl::string_view value, RequestValidator& combined,
                  std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.avatar_url";
  const auto url_status = [&](absl::string_view url) {
    RequestValidator validator;
    validator.HttpUrl(kField, url);
    return validator.Finish();
  };
  const absl::Status status = RunCheck(
      kField, value, [&](RequestValidator& v) { v.HttpUrl(kField, value); },
      combined, messages);
  if (value.empty()) {
    FUZZ_CHECK(status.ok(), "HttpUrl(\"\") returned ", status.ToString());
    return;
  }

  // An http or https scheme in any letter case, then "//" and a host that
  // does not start with '/', no control characters or spaces, and at most
  // kMaxUrlLength code points.
  const std::string head = absl::AsciiStrToLower(value.substr(0, 8));
  size_t host_start = 0;
  if (absl::StartsWith(head, "https://")) {
    host_start = 8;
  } else if (absl::StartsWith(head, "http://")) {
    host_start = 7;
  }
  const bool well_formed = host_start > 0 && value.size() > host_start &&
                           value[host_start] != '/' &&
                           !HasControlOrSpace(value);
  if (status.ok()) {
    FUZZ_CHECK(well_formed, "HttpUrl accepted ", Escaped(value));
  }
  const std::optional<size_t> code_points = CountUtf8CodePoints(value);
  if (code_points.has_value()) {
    const bool valid = well_formed && *code_points <= services::kMaxUrlLength;
    FUZZ_CHECK(status.ok() == valid, "HttpUrl(", Escaped(value), ") returned ",
               status.ToString(), "; expected ",
               valid ? "OK" : "INVALID_ARGUMENT");
  }

  const std::string url =
      absl::StrCat("https://example.com/", AlphanumericPart(value, 1024));
  const absl::Status plain = url_status(url);
  FUZZ_CHECK(plain.ok(), "HttpUrl rejected ", Escaped(url), ": ",
             plain.ToString());
}

void CheckSlug(absl::string_view value, RequestValidator& combined,
               std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.slug";
  // Lowercase letters and digits with single '-' between them. The length
  // test comes first, so only short values reach the regex.
  static const std::regex* const kSlug =
      new std::regex("[a-z0-9]+(-[a-z0-9]+)*");
  const absl::Status status = RunCheck(
      kField, value, [&](RequestValidator& v) { v.Slug(kField, value); },
      combined, messages);
  const bool valid =
      value.empty() || (value.size() <= services::kMaxSlugLength &&
                        std::regex_match(value.begin(), value.end(), *kSlug));
  FUZZ_CHECK(status.ok() == valid, "Slug(", Escaped(value), ") returned ",
             status.ToString(), "; the documented format says ",
             valid ? "valid" : "invalid");
}

void CheckMediaType(absl::string_view value, RequestValidator& combined,
                    std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "document.content_type";
  const auto media_type_status = [&](absl::string_view media_type) {
    RequestValidator validator;
    validator.MediaType(kField, media_type);
    return validator.Finish();
  };
  const absl::Status status = RunCheck(
      kField, value, [&](RequestValidator& v) { v.MediaType(kField, value); },
      combined, messages);
  if (value.empty()) {
    FUZZ_CHECK(status.ok(), "MediaType(\"\") returned ", status.ToString());
    return;
  }
  if (status.ok()) {
    // A media type is type "/" subtype, each a non-empty token, then
    // optional parameters after ';'. Of the control characters, only tab
    // may appear.
    const absl::string_view essence = value.substr(0, value.find(';'));
    const size_t slash = essence.find('/');
    FUZZ_CHECK(slash != absl::string_view::npos && slash > 0 &&
                   slash + 1 < essence.size(),
               "MediaType accepted ", Escaped(value),
               " without a type and a subtype");
    FUZZ_CHECK(
        std::none_of(value.begin(), value.end(),
                     [](char c) {
                       const unsigned char byte = static_cast<unsigned char>(c);
                       return (byte < 0x20 && c != '\t') || byte == 0x7f;
                     }),
        "MediaType accepted ", Escaped(value), " with a control character");
  }

  const std::string token = AlphanumericPart(value, 64);
  if (token.empty()) return;
  for (const std::string& media_type :
       {absl::StrCat("application/", token),
        absl::StrCat(token, "/plain; charset=utf-8")}) {
    const absl::Status plain = media_type_status(media_type);
    FUZZ_CHECK(plain.ok(), "MediaType rejected ", Escaped(media_type), ": ",
               plain.ToString());
  }
  FUZZ_CHECK(!media_type_status(token).ok(), "MediaType accepted ",
             Escaped(token), " without a subtype");
}

void CheckDate(absl::string_view value, RequestValidator& combined,
               std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.date_of_birth";
  static const std::regex* const kDigits =
      new std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}");
  bool returned = false;
  const absl::Status status = RunCheck(
      kField, value,
      [&](RequestValidator& v) {
        const bool passed = v.Date(kField, value);
        if (&v != &combined) returned = passed;
      },
      combined, messages);
  FUZZ_CHECK(returned == status.ok(), "Date(", Escaped(value), ") returned ",
             returned, " but Finish() is ", status.ToString());

  // YYYY-MM-DD naming a real day of the Gregorian calendar from year 1 on.
  // absl::CivilDay normalizes out-of-range fields, so a date is real if it
  // comes back unchanged.
  bool valid = value.empty();
  if (value.size() == 10 &&
      std::regex_match(value.begin(), value.end(), *kDigits)) {
    int year = 0;
    int month = 0;
    int day = 0;
    const bool parsed = absl::SimpleAtoi(value.substr(0, 4), &year) &&
                        absl::SimpleAtoi(value.substr(5, 2), &month) &&
                        absl::SimpleAtoi(value.substr(8, 2), &day);
    const absl::CivilDay civil_day(year, month, day);
    valid = parsed && year >= 1 && civil_day.year() == year &&
            civil_day.month() == month && civil_day.day() == day;
  }
  FUZZ_CHECK(status.ok() == valid, "Date(", Escaped(value), ") returned ",
             status.ToString(), "; the calendar says ",
             valid ? "valid" : "invalid");
}

void CheckEnumValue(absl::string_view value, RequestValidator& combined,
                    std::vector<std::string>& messages) {
  constexpr absl::string_view kField = "profile.role";
  int number = 0;
  if (!absl::SimpleAtoi(value, &number)) {
    number = static_cast<int>(value.size());
  }
  // Role has the values 0, 1 and 2.
  const bool known = number >= 0 && number <= 2;
  const absl::Status status = RunCheck(
      kField, value,
      [&](RequestValidator& v) { v.EnumValue(kField, number, known); },
      combined, messages);
  FUZZ_CHECK(status.ok() == known, "EnumValue(", number, ", ", known,
             ") returned ", status.ToString());
  if (!known) {
    const std::string expected =
        absl::StrCat(kField, ": ", number, " is not a known value");
    FUZZ_CHECK(status.message() == expected, "EnumValue(", number, ") gave ",
               Escaped(status.message()), "; expected ", Escaped(expected));
  }
}

}  // namespace

void CheckTenantIdProperties(absl::string_view id) {
  // storage::kTenantIdFormat: a lowercase letter, then lowercase letters,
  // digits, '-' or '_', at most 63 characters.
  static const std::regex* const kTenantId =
      new std::regex("[a-z][a-z0-9_-]{0,62}");
  const absl::Status status = storage::ValidateTenantId(id);
  const bool valid = std::regex_match(id.begin(), id.end(), *kTenantId);
  FUZZ_CHECK(status.ok() == valid, "ValidateTenantId(", Escaped(id),
             ") returned ", status.ToString(), "; the documented format says ",
             valid ? "valid" : "invalid");
  if (!status.ok()) {
    CheckInvalidArgument(status, "invalid tenant id \"", kMaxMessageBytes, id);
    return;
  }
  // A tenant id becomes the file name `<data_dir>/tenants/<id>.db`, so an
  // accepted id must not leave that directory. It must not contain '%',
  // which a later URL decoding could turn into '/', or NUL, which ends a
  // C string.
  FUZZ_CHECK(!id.empty() && id.size() <= kMaxTenantIdLength,
             "ValidateTenantId accepted ", id.size(), " bytes");
  for (const char forbidden : {'/', '\\', '.', '\0', '%'}) {
    FUZZ_CHECK(id.find(forbidden) == absl::string_view::npos,
               "ValidateTenantId accepted ", Escaped(id), " containing ",
               Escaped(absl::string_view(&forbidden, 1)));
  }
}

void CheckRequestValidatorProperties(absl::string_view value) {
  RequestValidator combined;
  std::vector<std::string> messages;
  CheckRequired(value, combined, messages);
  CheckMaxLength(value, 8, combined, messages);
  CheckMaxLength(value, services::kMaxFullNameLength, combined, messages);
  CheckEmail(value, combined, messages);
  CheckPhone(value, combined, messages);
  CheckHttpUrl(value, combined, messages);
  CheckSlug(value, combined, messages);
  CheckMediaType(value, combined, messages);
  CheckDate(value, combined, messages);
  CheckEnumValue(value, combined, messages);

  // Finish() is OK exactly when no check added a violation, and otherwise
  // lists every violation in the order the checks ran.
  const absl::Status status = combined.Finish();
  FUZZ_CHECK(combined.ok() == messages.empty(), "value ", Escaped(value),
             ": ok() is ", combined.ok(), " after ", messages.size(),
             " failed checks");
  FUZZ_CHECK(status.ok() == messages.empty(), "value ", Escaped(value),
             ": Finish() returned ", status.ToString(), " after ",
             messages.size(), " failed checks");
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
               "Finish() returned ", status.ToString());
    CheckBadRequestPayload(status, value);
    const std::string expected = absl::StrJoin(messages, "; ");
    FUZZ_CHECK(status.message() == expected, "value ", Escaped(value),
               ": Finish() gave ", Escaped(status.message()),
               "; expected every violation: ", Escaped(expected));
  }
}

}  // namespace tenantry::fuzz
