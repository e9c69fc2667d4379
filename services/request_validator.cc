#include "services/request_validator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "storage/quoting.h"

namespace tenantry::services {
namespace {

bool HasControlOrSpace(absl::string_view value) {
  for (unsigned char c : value) {
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Whether `local` is an RFC 5322 dot-atom: atext characters in parts
// separated by single dots. Non-ASCII bytes pass, as RFC 6531 allows.
bool IsDotAtom(absl::string_view local) {
  constexpr absl::string_view kAtextSymbols = "!#$%&'*+-/=?^_`{|}~";
  if (local.empty() || local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return false;
  }
  for (unsigned char c : local) {
    if (c < 0x80 && !absl::ascii_isalnum(c) && c != '.' &&
        !absl::StrContains(kAtextSymbols, static_cast<char>(c))) {
      return false;
    }
  }
  return true;
}

// Whether `domain` has two or more dot-separated labels of letters, digits
// and '-' that do not start or end with '-'. Non-ASCII bytes pass, for
// internationalized domain names.
bool IsDomainName(absl::string_view domain) {
  const std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return false;
  for (absl::string_view label : labels) {
    if (label.empty() || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (unsigned char c : label) {
      if (c < 0x80 && !absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

// RFC 9110, section 5.6.2.
bool IsToken(absl::string_view text) {
  constexpr absl::string_view kTokenSymbols = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains(kTokenSymbols, c)) {
      return false;
    }
  }
  return true;
}

bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

}  // namespace

void RequestValidator::AddViolation(absl::string_view field,
                                    absl::string_view description) {
  violations_.push_back({std::string(field), std::string(description)});
}

void RequestValidator::Required(absl::string_view field,
                                absl::string_view value) {
  if (value.empty()) {
    AddViolation(field, "is required");
  } else if (absl::StripAsciiWhitespace(value).empty()) {
    AddViolation(field, "is required and must not be only whitespace");
  }
}

void RequestValidator::MaxLength(absl::string_view field,
                                 absl::string_view value, size_t max_length) {
  // Protobuf has already checked that `value` is UTF-8, so counting the
  // bytes that do not continue a sequence counts the characters.
  size_t characters = 0;
  for (unsigned char c : value) {
    if ((c & 0xc0) != 0x80) ++characters;
  }
  if (characters > max_length) {
    AddViolation(field,
                 absl::StrCat("is ", characters,
                              " characters long; the maximum is ", max_length));
  }
  // PostgreSQL cannot store NUL in text, and SQLite's text functions stop
  // at it, so it is rejected on every backend.
  if (value.find('\0') != absl::string_view::npos) {
    AddViolation(field, "contains a NUL character, which text fields reject");
  }
}

void RequestValidator::Email(absl::string_view field, absl::string_view value) {
  if (value.empty()) return;
  // RFC 5321 limits a path to 256 octets, which leaves 254 for the address;
  // this one limit counts bytes, not characters.
  if (value.size() > kMaxEmailLength) {
    AddViolation(field, absl::StrCat("is ", value.size(),
                                     " bytes long; an email address has at "
                                     "most ",
                                     kMaxEmailLength, " bytes"));
    return;
  }
  const size_t at = value.find('@');
  const bool valid =
      at != absl::string_view::npos && at <= kMaxEmailLocalPartLength &&
      IsDotAtom(value.substr(0, at)) && IsDomainName(value.substr(at + 1));
  if (!valid) {
    AddViolation(field, absl::StrCat(storage::QuoteForMessage(value),
                                     " is not an email address like "
                                     "name@example.com"));
  }
}

void RequestValidator::Phone(absl::string_view field, absl::string_view value) {
  if (value.empty()) return;
  int digits = 0;
  bool valid = true;
  for (size_t i = 0; i < value.size() && valid; ++i) {
    const char c = value[i];
    if (absl::ascii_isdigit(c)) {
      ++digits;
    } else if (c == '+') {
      valid = i == 0;
    } else {
      valid = c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
    }
  }
  if (!valid || digits < 3 || digits > 15) {
    AddViolation(field, absl::StrCat(storage::QuoteForMessage(value),
                                     " is not a phone number: use 3 to 15 "
                                     "digits, an optional leading '+', and "
                                     "spaces, '-', '.' or parentheses"));
  }
}

void RequestValidator::HttpUrl(absl::string_view field,
                               absl::string_view value) {
  if (value.empty()) return;
  const bool has_scheme = absl::StartsWithIgnoreCase(value, "http://") ||
                          absl::StartsWithIgnoreCase(value, "https://");
  const size_t host_start = value.find("//") + 2;
  if (!has_scheme || HasControlOrSpace(value) || value.size() <= host_start ||
      value[host_start] == '/') {
    AddViolation(field, absl::StrCat(storage::QuoteForMessage(value),
                                     " is not an http or https URL"));
    return;
  }
  MaxLength(field, value, kMaxUrlLength);
}

void RequestValidator::Slug(absl::string_view field, absl::string_view value) {
  if (value.empty()) return;
  bool valid = value.size() <= kMaxSlugLength && value.front() != '-' &&
               value.back() != '-' && !absl::StrContains(value, "--");
  for (char c : value) {
    valid =
        valid && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  }
  if (!valid) {
    AddViolation(field,
                 absl::StrCat(storage::QuoteForMessage(value),
                              " is not a slug: use lowercase letters and "
                              "digits with single '-' between them, at most ",
                              kMaxSlugLength, " characters"));
  }
}

void RequestValidator::MediaType(absl::string_view field,
                                 absl::string_view value) {
  if (value.empty()) return;
  // type "/" subtype, then optional parameters after ';' (RFC 9110,
  // section 8.3.1). Parameter values may be quoted strings, so only
  // control characters are rejected in them.
  const absl::string_view essence =
      absl::StripTrailingAsciiWhitespace(value.substr(0, value.find(';')));
  const size_t slash = essence.find('/');
  bool valid = slash != absl::string_view::npos &&
               IsToken(essence.substr(0, slash)) &&
               IsToken(essence.substr(slash + 1));
  for (unsigned char c : value) {
    valid = valid && (c >= 0x20 || c == '\t') && c != 0x7f;
  }
  if (!valid) {
    AddViolation(field, absl::StrCat(storage::QuoteForMessage(value),
                                     " is not a media type like text/plain "
                                     "or application/pdf"));
  }
}

bool RequestValidator::Date(absl::string_view field, absl::string_view value) {
  if (value.empty()) return true;
  bool valid = value.size() == 10 && value[4] == '-' && value[7] == '-';
  for (size_t i = 0; i < value.size() && valid; ++i) {
    valid = i == 4 || i == 7 || absl::ascii_isdigit(value[i]);
  }
  int year = 0;
  int month = 0;
  int day = 0;
  valid = valid && absl::SimpleAtoi(value.substr(0, 4), &year) &&
          absl::SimpleAtoi(value.substr(5, 2), &month) &&
          absl::SimpleAtoi(value.substr(8, 2), &day);
  if (valid) {
    constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
    valid = year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
            day <= kDaysInMonth[month - 1] +
                       (month == 2 && IsLeapYear(year) ? 1 : 0);
  }
  if (!valid) {
    AddViolation(field, absl::StrCat(storage::QuoteForMessage(value),
                                     " is not a date in the form "
                                     "YYYY-MM-DD"));
  }
  return valid;
}

void RequestValidator::EnumValue(absl::string_view field, int value,
                                 bool valid) {
  if (!valid) AddViolation(field, absl::StrCat(value, " is not a known value"));
}

absl::Status RequestValidator::Finish() const {
  if (violations_.empty()) return absl::OkStatus();
  return InvalidFieldsError(violations_);
}

}  // namespace tenantry::services
