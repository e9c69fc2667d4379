// Properties of the parsers in services/ that the API conventions use:
// resource names, page tokens, etags, update masks and list filters. Each
// check compares results with the documented format and checks that what
// the server issues parses back to the same value.

#include <google/protobuf/field_mask.pb.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/etag.h"
#include "services/list_filter.h"
#include "services/pagination.h"
#include "services/resource_names.h"
#include "services/update_mask.h"
#include "storage/ids.h"
#include "storage/quoting.h"
#include "tests/fuzz/property_checks.h"

namespace tenantry::fuzz {
namespace {

// The characters of ids from storage::NewResourceId: lowercase Crockford
// base32, which leaves out i, l, o and u.
constexpr absl::string_view kResourceIdAlphabet =
    "0123456789abcdefghjkmnpqrstvwxyz";
constexpr size_t kResourceIdLength = 26;

// The largest revision whose etag ParseEtag reads back: it takes at most
// 18 digits.
constexpr int64_t kMaxRoundTripRevision = 999'999'999'999'999'999;

bool HasResourceIdShape(absl::string_view id) {
  return id.size() == kResourceIdLength &&
         id.find_first_not_of(kResourceIdAlphabet) == absl::string_view::npos;
}

// Returns a well-formed resource id derived from the bytes of `seed`.
std::string ResourceIdFrom(absl::string_view seed) {
  std::string id(kResourceIdLength, '0');
  for (size_t i = 0; i < seed.size(); ++i) {
    const unsigned char byte = static_cast<unsigned char>(seed[i]);
    id[i % kResourceIdLength] =
        kResourceIdAlphabet[(byte + i) % kResourceIdAlphabet.size()];
  }
  return id;
}

// Returns the id after `prefix` in `name` if `name` is `prefix` followed by
// a well-formed resource id, else nullopt.
std::optional<std::string> IdAfter(absl::string_view name,
                                   absl::string_view prefix) {
  if (!absl::ConsumePrefix(&name, prefix) || !HasResourceIdShape(name)) {
    return std::nullopt;
  }
  return std::string(name);
}

// Checks a parser of `tenants/{tenant}/{collection}/{id}` names.
template <typename Parse>
void CheckTenantChildName(absl::string_view name,
                          absl::string_view call_tenant_id,
                          absl::string_view collection, const Parse& parse) {
  const absl::StatusOr<std::string> id = parse("name", name, call_tenant_id);
  const std::optional<std::string> expected = IdAfter(
      name, absl::StrCat("tenants/", call_tenant_id, "/", collection, "/"));
  FUZZ_CHECK(id.ok() == expected.has_value(), "parsing ", Escaped(name),
             " as a ", collection, " name of tenant ", Escaped(call_tenant_id),
             " returned ", id.status().ToString());
  if (id.ok()) {
    FUZZ_CHECK(*id == *expected, "parsing ", Escaped(name), " gave the id ",
               Escaped(*id), "; expected ", Escaped(*expected));
  } else {
    CheckInvalidFieldError(id.status(), "name", kMaxMessageBytes, name);
  }
}

// Checks that the names built for `tenant_id` and an id derived from
// `seed` parse back, and only for that tenant and collection.
void CheckIssuedResourceNames(absl::string_view seed,
                              absl::string_view tenant_id) {
  const std::string id = ResourceIdFrom(seed);
  const std::string other_tenant = tenant_id == "acme" ? "other" : "acme";

  const absl::StatusOr<std::string> tenant =
      services::ParseTenantName("parent", services::TenantName(tenant_id));
  FUZZ_CHECK(tenant.ok() && *tenant == tenant_id, "TenantName(",
             Escaped(tenant_id),
             ") does not parse back: ", tenant.status().ToString());
  const absl::Status parent = services::CheckParentTenant(
      "parent", services::TenantName(tenant_id), tenant_id);
  FUZZ_CHECK(parent.ok(), "CheckParentTenant rejected its own tenant ",
             Escaped(tenant_id), ": ", parent.ToString());

  const absl::StatusOr<std::string> user =
      services::ParseUserName("user", services::UserName(id));
  FUZZ_CHECK(user.ok() && *user == id, "UserName(", id,
             ") does not parse back: ", user.status().ToString());

  const std::string profile_name = services::ProfileName(tenant_id, id);
  const absl::StatusOr<std::string> profile =
      services::ParseProfileName("name", profile_name, tenant_id);
  FUZZ_CHECK(profile.ok() && *profile == id, Escaped(profile_name),
             " does not parse back: ", profile.status().ToString());
  FUZZ_CHECK(
      !services::ParseProfileName("name", profile_name, other_tenant).ok(),
      Escaped(profile_name), " parsed for tenant ", other_tenant);
  FUZZ_CHECK(!services::ParseDocumentName("name", profile_name, tenant_id).ok(),
             "the profile name ", Escaped(profile_name),
             " parsed as a document name");

  const std::string document_name = services::DocumentName(tenant_id, id);
  const absl::StatusOr<std::string> document =
      services::ParseDocumentName("name", document_name, tenant_id);
  FUZZ_CHECK(document.ok() && *document == id, Escaped(document_name),
             " does not parse back: ", document.status().ToString());
  FUZZ_CHECK(
      !services::ParseDocumentName("name", document_name, other_tenant).ok(),
      Escaped(document_name), " parsed for tenant ", other_tenant);
}

// The paths of a resource in the shape of the profile's update mask: a
// message field whose children are updatable on their own and one whose
// children are updatable only through their parent's path.
const services::UpdateMask::Fields& MaskFields() {
  static const auto* const fields = new services::UpdateMask::Fields{
      {"full_name", "bio", "student_info", "student_info.school",
       "student_info.class_name", "privacy_settings.visibility"},
      {"name", "create_time", "etag"}};
  return *fields;
}

// Returns `snake_path` with each segment in lowerCamelCase, or in
// UpperCamelCase if `upper` is set.
std::string ToCamelCasePath(absl::string_view snake_path, bool upper) {
  std::string camel;
  bool capitalize = upper;
  for (char c : snake_path) {
    if (c == '_') {
      capitalize = true;
    } else {
      camel.push_back(capitalize ? absl::ascii_toupper(c) : c);
      capitalize = upper && c == '.';
    }
  }
  return camel;
}

// Checks, once per process, that camelCase forms of every updatable path
// are accepted as the path itself.
void CheckCamelCasePathsOnce() {
  static const bool checked = [] {
    for (const std::string& path : MaskFields().updatable) {
      for (const bool upper : {false, true}) {
        const std::string camel = ToCamelCasePath(path, upper);
        FUZZ_CHECK(services::ToSnakeCasePath(camel) == path, "ToSnakeCasePath(",
                   Escaped(camel), ") is ",
                   Escaped(services::ToSnakeCasePath(camel)), "; expected ",
                   Escaped(path));
      }
    }
    return true;
  }();
  (void)checked;
}

void CheckSnakeCasePath(absl::string_view path) {
  const std::string snake = services::ToSnakeCasePath(path);
  FUZZ_CHECK(std::none_of(snake.begin(), snake.end(), absl::ascii_isupper),
             "ToSnakeCasePath(", Escaped(path),
             ") kept an uppercase letter: ", Escaped(snake));
  FUZZ_CHECK(services::ToSnakeCasePath(snake) == snake, "ToSnakeCasePath(",
             Escaped(path), ") = ", Escaped(snake), " changes again");
  FUZZ_CHECK(absl::c_count(snake, '.') == absl::c_count(path, '.'),
             "ToSnakeCasePath(", Escaped(path), ") = ", Escaped(snake),
             " changed the number of segments");
  if (std::none_of(path.begin(), path.end(), absl::ascii_isupper)) {
    FUZZ_CHECK(snake == path, "ToSnakeCasePath changed ", Escaped(path), " to ",
               Escaped(snake));
  }
}

// Returns whether `path` or one of its parent paths is in `paths`.
bool CoveredBy(const std::set<std::string>& paths, absl::string_view path) {
  if (paths.count(std::string(path)) > 0) return true;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '.' && paths.count(std::string(path.substr(0, i))) > 0) {
      return true;
    }
  }
  return false;
}

void CheckMaskCovers(const services::UpdateMask& mask,
                     const std::set<std::string>& expected,
                     const std::vector<std::string>& paths) {
  std::vector<std::string> probes = paths;
  const services::UpdateMask::Fields& fields = MaskFields();
  probes.insert(probes.end(), fields.updatable.begin(), fields.updatable.end());
  probes.insert(probes.end(), fields.ignored.begin(), fields.ignored.end());
  probes.insert(probes.end(),
                {"", ".", "student_info.", "student_info.school.extra",
                 "privacy_settings", "privacy_settings.visibility.extra"});
  for (const std::string& probe : probes) {
    const bool covered = CoveredBy(expected, probe);
    FUZZ_CHECK(mask.Covers(probe) == covered, "a mask of ", paths.size(),
               " paths says Covers(", Escaped(probe), ") is ",
               mask.Covers(probe), "; expected ", covered);
  }
  FUZZ_CHECK(mask.empty() == expected.empty(), "mask.empty() is ", mask.empty(),
             " for ", expected.size(), " expected paths");
}

// Returns whether `value` is a filter value that needs no quotes.
bool IsBareFilterValue(absl::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '-';
  });
}

void CheckFilterWithFields(absl::string_view filter,
                           const std::vector<std::string>& fields) {
  const absl::StatusOr<std::optional<services::FilterCondition>> parsed =
      services::ParseFilter(filter, fields);

  // The documented grammar: empty, or FIELD = VALUE with optional
  // whitespace around each part, VALUE a bare word or a double-quoted
  // string without quotes inside. A NUL character anywhere is invalid,
  // because text fields never store one.
  const absl::string_view trimmed = absl::StripAsciiWhitespace(filter);
  if (trimmed.empty()) {
    FUZZ_CHECK(parsed.ok() && !parsed->has_value(), "ParseFilter(",
               Escaped(filter), ") returned ", parsed.status().ToString(),
               "; expected no condition");
    return;
  }
  bool valid = false;
  std::string field;
  std::string value;
  const size_t equals = trimmed.find('=');
  if (equals != absl::string_view::npos &&
      trimmed.find('\0') == absl::string_view::npos) {
    field = std::string(absl::StripAsciiWhitespace(trimmed.substr(0, equals)));
    absl::string_view raw_value =
        absl::StripAsciiWhitespace(trimmed.substr(equals + 1));
    const bool quoted = raw_value.size() >= 2 && raw_value.front() == '"' &&
                        raw_value.back() == '"';
    if (quoted) {
      raw_value = raw_value.substr(1, raw_value.size() - 2);
      valid =
          !raw_value.empty() && raw_value.find('"') == absl::string_view::npos;
    } else {
      valid = IsBareFilterValue(raw_value);
    }
    valid = valid && absl::c_linear_search(fields, field);
    value = std::string(raw_value);
  }
  FUZZ_CHECK(parsed.ok() == valid, "ParseFilter(", Escaped(filter),
             ") returned ", parsed.status().ToString(),
             "; the documented grammar says ", valid ? "valid" : "invalid");
  if (!parsed.ok()) {
    CheckInvalidFieldError(parsed.status(), "filter", kMaxMessageBytes, filter);
    return;
  }
  FUZZ_CHECK(parsed->has_value() && (*parsed)->field == field &&
                 (*parsed)->value == value,
             "ParseFilter(", Escaped(filter), ") gave a condition other than ",
             field, " = ", Escaped(value));

  // The condition written back in quotes, and bare where it can be, parses
  // to the same condition.
  std::vector<std::string> rewritten = {
      absl::StrCat(field, " = \"", value, "\"")};
  if (IsBareFilterValue(value))
    rewritten.push_back(absl::StrCat(field, "=", value));
  for (const std::string& again : rewritten) {
    const absl::StatusOr<std::optional<services::FilterCondition>> reparsed =
        services::ParseFilter(again, fields);
    FUZZ_CHECK(reparsed.ok() && reparsed->has_value() &&
                   (*reparsed)->field == field && (*reparsed)->value == value,
               "ParseFilter(", Escaped(again), ") returned ",
               reparsed.status().ToString(), "; expected the condition of ",
               Escaped(filter));
  }
}

}  // namespace

void CheckResourceNameProperties(absl::string_view name,
                                 absl::string_view call_tenant_id) {
  static const bool new_id_checked = [] {
    const std::string id = storage::NewResourceId();
    FUZZ_CHECK(storage::IsResourceId(id), "IsResourceId rejected the new id ",
               id);
    return true;
  }();
  (void)new_id_checked;

  FUZZ_CHECK(storage::IsResourceId(name) == HasResourceIdShape(name),
             "IsResourceId(", Escaped(name), ") is ",
             storage::IsResourceId(name));

  // tenants/{tenant}
  const absl::StatusOr<std::string> tenant =
      services::ParseTenantName("parent", name);
  absl::string_view tenant_part = name;
  const bool tenant_form = absl::ConsumePrefix(&tenant_part, "tenants/") &&
                           storage::ValidateTenantId(tenant_part).ok();
  FUZZ_CHECK(tenant.ok() == tenant_form, "ParseTenantName(", Escaped(name),
             ") returned ", tenant.status().ToString());
  if (tenant.ok()) {
    FUZZ_CHECK(*tenant == tenant_part && services::TenantName(*tenant) == name,
               "ParseTenantName(", Escaped(name), ") gave ", Escaped(*tenant));
  } else {
    CheckInvalidFieldError(tenant.status(), "parent", kMaxMessageBytes, name);
  }

  // tenants/{tenant}/usage
  const absl::StatusOr<std::string> usage =
      services::ParseTenantUsageName("name", name);
  absl::string_view usage_tenant = name;
  const bool usage_form = absl::ConsumeSuffix(&usage_tenant, "/usage") &&
                          absl::ConsumePrefix(&usage_tenant, "tenants/") &&
                          storage::ValidateTenantId(usage_tenant).ok();
  FUZZ_CHECK(usage.ok() == usage_form, "ParseTenantUsageName(", Escaped(name),
             ") returned ", usage.status().ToString());
  if (usage.ok()) {
    FUZZ_CHECK(
        *usage == usage_tenant && services::TenantUsageName(*usage) == name,
        "ParseTenantUsageName(", Escaped(name), ") gave ", Escaped(*usage));
  } else {
    CheckInvalidFieldError(usage.status(), "name", kMaxMessageBytes, name);
  }

  // users/{user}
  const absl::StatusOr<std::string> user =
      services::ParseUserName("user", name);
  const std::optional<std::string> expected_user = IdAfter(name, "users/");
  FUZZ_CHECK(user.ok() == expected_user.has_value(), "ParseUserName(",
             Escaped(name), ") returned ", user.status().ToString());
  if (user.ok()) {
    FUZZ_CHECK(*user == *expected_user, "ParseUserName(", Escaped(name),
               ") gave ", Escaped(*user));
  } else {
    CheckInvalidFieldError(user.status(), "user", kMaxMessageBytes, name);
  }

  // The parent check and the tenant-scoped names take the call's tenant,
  // which the interceptor has validated before any handler runs.
  const absl::string_view call_tenant =
      storage::ValidateTenantId(call_tenant_id).ok() ? call_tenant_id : "acme";
  const absl::Status parent =
      services::CheckParentTenant("parent", name, call_tenant);
  const bool same_tenant = tenant.ok() && *tenant == call_tenant;
  FUZZ_CHECK(parent.ok() == same_tenant, "CheckParentTenant(", Escaped(name),
             ", ", Escaped(call_tenant), ") returned ", parent.ToString());
  if (!parent.ok()) {
    CheckInvalidFieldError(parent, "parent", kMaxMessageBytes, name);
  }
  CheckTenantChildName(name, call_tenant, "profiles",
                       services::ParseProfileName);
  CheckTenantChildName(name, call_tenant, "documents",
                       services::ParseDocumentName);

  CheckIssuedResourceNames(name, call_tenant);
}

void CheckPaginationProperties(int32_t page_size, absl::string_view page_token,
                               absl::string_view arguments) {
  const absl::StatusOr<storage::PageRequest> page =
      services::ParsePageRequest(page_size, page_token, arguments);
  if (page_size < 0) {
    FUZZ_CHECK(!page.ok(), "ParsePageRequest accepted page_size ", page_size);
    CheckInvalidFieldError(page.status(), "page_size", kMaxMessageBytes,
                           absl::StrCat(page_size));
  } else if (page.ok()) {
    const int expected_limit =
        page_size == 0 ? services::kDefaultPageSize
                       : std::min<int32_t>(page_size, services::kMaxPageSize);
    FUZZ_CHECK(page->limit == expected_limit, "page_size ", page_size,
               " gave the limit ", page->limit, "; expected ", expected_limit);
    FUZZ_CHECK(page_token.empty() == page->after_id.empty(), "page_token ",
               Escaped(page_token), " gave after_id ", Escaped(page->after_id));
    if (!page_token.empty()) {
      // The server accepts only tokens that it issued, so issuing a token
      // for the same last id and arguments gives the same text.
      const std::string reissued =
          services::NextPageToken(true, page->after_id, arguments);
      FUZZ_CHECK(reissued == page_token, "page_token ", Escaped(page_token),
                 " decodes to after_id ", Escaped(page->after_id),
                 ", which encodes to ", Escaped(reissued));
    }
  } else {
    FUZZ_CHECK(!page_token.empty(), "ParsePageRequest rejected page_size ",
               page_size, " without a token: ", page.status().ToString());
    CheckInvalidFieldError(page.status(), "page_token", kMaxMessageBytes,
                           page_token);
  }

  FUZZ_CHECK(services::NextPageToken(false, page_token, arguments).empty(),
             "NextPageToken issued a token for the last page");
  // A page never ends at an empty id, and a token with one would restart
  // the list from its first page.
  const std::string empty_id_token =
      services::NextPageToken(true, "", arguments);
  const absl::StatusOr<storage::PageRequest> empty_id_page =
      services::ParsePageRequest(0, empty_id_token, arguments);
  FUZZ_CHECK(!empty_id_page.ok(), "the token ", Escaped(empty_id_token),
             " with an empty last id was accepted");
  CheckInvalidFieldError(empty_id_page.status(), "page_token", kMaxMessageBytes,
                         empty_id_token);
  // The token text also serves as a last id, except when it is empty,
  // because ids never are.
  if (page_token.empty()) return;
  const absl::string_view last_id = page_token;
  const std::string token = services::NextPageToken(true, last_id, arguments);
  FUZZ_CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "abcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_") == std::string::npos,
             "NextPageToken(", Escaped(last_id), ") = ", Escaped(token),
             " is not web-safe base64 without padding");
  const absl::StatusOr<storage::PageRequest> next =
      services::ParsePageRequest(0, token, arguments);
  FUZZ_CHECK(next.ok() && next->after_id == last_id, "the token ",
             Escaped(token), " for last id ", Escaped(last_id),
             " does not parse back: ", next.status().ToString());
  const absl::StatusOr<storage::PageRequest> other_arguments =
      services::ParsePageRequest(0, token, absl::StrCat(arguments, "|"));
  FUZZ_CHECK(!other_arguments.ok(), "the token ", Escaped(token),
             " for arguments ", Escaped(arguments),
             " was accepted with other arguments");
  CheckInvalidFieldError(other_arguments.status(), "page_token",
                         kMaxMessageBytes, token);
}

void CheckEtagProperties(absl::string_view etag) {
  const absl::StatusOr<std::optional<int64_t>> parsed =
      services::ParseEtag("etag", etag);
  if (etag.empty()) {
    FUZZ_CHECK(parsed.ok() && !parsed->has_value(), "ParseEtag(\"\") returned ",
               parsed.status().ToString(), "; expected no revision");
  } else if (parsed.ok()) {
    FUZZ_CHECK(parsed->has_value(), "ParseEtag(", Escaped(etag),
               ") returned no revision");
    FUZZ_CHECK(**parsed >= 1, "ParseEtag(", Escaped(etag), ") returned ",
               **parsed, "; revisions start at 1");
    FUZZ_CHECK(services::EtagForRevision(**parsed) == etag, "ParseEtag(",
               Escaped(etag), ") returned ", **parsed,
               ", whose etag is another text");
  } else {
    CheckInvalidFieldError(parsed.status(), "etag", kMaxMessageBytes, etag);
  }

  int64_t revision = 0;
  if (!absl::SimpleAtoi(etag, &revision)) {
    revision = static_cast<int64_t>(etag.size()) + 1;
  }
  if (revision >= 1 && revision <= kMaxRoundTripRevision) {
    const std::string issued = services::EtagForRevision(revision);
    const absl::StatusOr<std::optional<int64_t>> reparsed =
        services::ParseEtag("etag", issued);
    FUZZ_CHECK(reparsed.ok() && reparsed->has_value() && **reparsed == revision,
               "the etag ", issued, " of revision ", revision,
               " does not parse back: ", reparsed.status().ToString());
  }
  FUZZ_CHECK(services::CheckEtag(std::nullopt, revision, "r").ok(),
             "CheckEtag without an etag failed");
  FUZZ_CHECK(services::CheckEtag(revision, revision, "r").ok(),
             "CheckEtag failed for the current revision ", revision);
  if (revision < std::numeric_limits<int64_t>::max()) {
    FUZZ_CHECK(
        absl::IsAborted(services::CheckEtag(revision, revision + 1, "r")),
        "CheckEtag did not abort for the stale revision ", revision);
  }
}

void CheckUpdateMaskProperties(const std::vector<std::string>& paths) {
  CheckCamelCasePathsOnce();
  for (const std::string& path : paths) CheckSnakeCasePath(path);

  const services::UpdateMask::Fields& fields = MaskFields();
  google::protobuf::FieldMask request_mask;
  for (const std::string& path : paths) request_mask.add_paths(path);
  const std::vector<std::string> set_paths = {"bio"};
  const absl::StatusOr<services::UpdateMask> mask =
      services::UpdateMask::Create(&request_mask, fields, set_paths);

  // An empty mask means the fields set in the request, and `*` means every
  // top-level updatable field. Ignored paths add nothing. Any other path is
  // an error that names it.
  std::set<std::string> expected;
  std::vector<std::string> unknown;
  if (paths.empty()) expected.insert(set_paths.begin(), set_paths.end());
  for (const std::string& path : paths) {
    const std::string snake = services::ToSnakeCasePath(path);
    if (snake == "*") {
      for (const std::string& updatable : fields.updatable) {
        if (!absl::StrContains(updatable, '.')) expected.insert(updatable);
      }
    } else if (absl::c_linear_search(fields.updatable, snake)) {
      expected.insert(snake);
    } else if (!absl::c_linear_search(fields.ignored, snake)) {
      unknown.push_back(path);
    }
  }
  FUZZ_CHECK(mask.ok() == unknown.empty(), "UpdateMask::Create with ",
             paths.size(), " paths returned ", mask.status().ToString(),
             " with ", unknown.size(), " unknown paths");
  if (!mask.ok()) {
    CheckInvalidFieldError(mask.status(), "update_mask",
                           kMaxMessageBytes * (unknown.size() + 1),
                           absl::StrJoin(paths, ","));
    for (const std::string& path : unknown) {
      FUZZ_CHECK(absl::StrContains(mask.status().message(),
                                   storage::QuoteForMessage(path)),
                 "the update_mask error ", Escaped(mask.status().message()),
                 " does not name the unknown path ", Escaped(path));
    }
    return;
  }
  CheckMaskCovers(*mask, expected, paths);
}

void CheckListFilterProperties(absl::string_view filter) {
  static const auto* const kProfileFields =
      new std::vector<std::string>{"role", "slug"};
  static const auto* const kDocumentFields =
      new std::vector<std::string>{"owner"};
  CheckFilterWithFields(filter, *kProfileFields);
  CheckFilterWithFields(filter, *kDocumentFields);
}

}  // namespace tenantry::fuzz
