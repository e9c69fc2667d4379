// libFuzzer target over Tenantry's request parsing: tenant ids, request
// validation, resource names, page tokens, etags, update masks and list
// filters. tools/fuzz.sh builds and runs it.
//
// An input is text split into lines at '\n', so that seeds stay readable:
//   line 1: a value for every single-value parser, a resource name, a page
//           token and a page token's last id;
//   line 2: the call's tenant id ("acme" if it is not a valid one) and the
//           page token's arguments;
//   line 3: a page_size, read as a decimal int32 (0 if it is not one).
// Each of these 3 lines is also a tenant id, a validated field value, an
// etag and a filter. Every line, up to 32, is an update_mask path. The whole
// input is also a tenant id and a filter.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/fuzz/property_checks.h"

namespace {

// Lines beyond these counts are ignored, which bounds the time per input.
// More value lines would repeat the same checks on more values, which the
// fuzzer gets as well from more inputs.
constexpr size_t kMaxValueLines = 3;
constexpr size_t kMaxMaskPaths = 32;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = tenantry::fuzz;

  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  const auto line = [&lines](size_t index) {
    return index < lines.size() ? lines[index] : absl::string_view();
  };

  fuzz::CheckTenantIdProperties(input);
  fuzz::CheckListFilterProperties(input);
  for (size_t i = 0; i < lines.size() && i < kMaxValueLines; ++i) {
    fuzz::CheckTenantIdProperties(lines[i]);
    fuzz::CheckRequestValidatorProperties(lines[i]);
    fuzz::CheckEtagProperties(lines[i]);
    fuzz::CheckListFilterProperties(lines[i]);
  }

  fuzz::CheckResourceNameProperties(line(0), line(1));

  int32_t page_size = 0;
  if (!absl::SimpleAtoi(line(2), &page_size)) page_size = 0;
  fuzz::CheckPaginationProperties(page_size, line(0), line(1));

  std::vector<std::string> mask_paths;
  if (!input.empty()) {
    for (size_t i = 0; i < lines.size() && i < kMaxMaskPaths; ++i) {
      mask_paths.emplace_back(lines[i]);
    }
  }
  fuzz::CheckUpdateMaskProperties(mask_paths);
  return 0;
}
