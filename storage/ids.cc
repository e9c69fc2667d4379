#include "storage/ids.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/quoting.h"

namespace tenantry::storage {
namespace {

constexpr absl::string_view kBase32Alphabet =
    "0123456789abcdefghjkmnpqrstvwxyz";
constexpr int kResourceIdLength = 26;
constexpr int kMaxTenantIdLength = 63;

bool IsLowercaseLetter(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::Status ValidateTenantId(absl::string_view id) {
  bool valid = !id.empty() && id.size() <= kMaxTenantIdLength &&
               IsLowercaseLetter(id.front());
  for (char c : id) {
    if (!valid) break;
    valid = IsLowercaseLetter(c) || IsDigit(c) || c == '-' || c == '_';
  }
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid tenant id ", QuoteForMessage(id), ": expected ",
                   kTenantIdFormat));
}

std::string NewResourceId() {
  static absl::Mutex mutex(absl::kConstInit);
  static absl::BitGen* generator = new absl::BitGen();
  // The parts of the previous id, guarded by `mutex`.
  static uint64_t last_millis = 0;
  static uint64_t last_random_high = 0;
  static uint64_t last_random_low = 0;
  uint64_t random_high;
  uint64_t random_low;
  uint64_t millis;
  {
    absl::MutexLock lock(&mutex);
    const uint64_t now = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
    if (now > last_millis) {
      last_millis = now;
      last_random_high = absl::Uniform<uint64_t>(*generator) & 0xffff;
      last_random_low = absl::Uniform<uint64_t>(*generator);
    } else {
      // Within one millisecond, or after the clock stepped back, the next
      // id is the previous one plus 1, so ids sort in creation order.
      if (++last_random_low == 0) ++last_random_high;
      if (last_random_high > 0xffff) {
        last_random_high = 0;
        ++last_millis;
      }
    }
    millis = last_millis;
    random_high = last_random_high;
    random_low = last_random_low;
  }

  // 130 bits: 2 zero bits, 48 bits of time, 80 bits of randomness, written
  // 5 bits per character from the most significant end.
  std::string id(kResourceIdLength, '0');
  uint64_t low = random_low;               // random bits 0..63
  uint64_t middle = random_high & 0xffff;  // random bits 64..79
  uint64_t time = millis & ((uint64_t{1} << 48) - 1);
  for (int i = kResourceIdLength - 1; i >= 0; --i) {
    id[i] = kBase32Alphabet[low & 0x1f];
    // Shift the 130-bit number (time:middle:low) right by 5 bits.
    low = (low >> 5) | ((middle & 0x1f) << 59);
    middle = (middle >> 5) | ((time & 0x1f) << 11);
    time >>= 5;
  }
  return id;
}

bool IsResourceId(absl::string_view id) {
  if (id.size() != kResourceIdLength) return false;
  for (char c : id) {
    if (kBase32Alphabet.find(c) == absl::string_view::npos) return false;
  }
  return true;
}

std::string StableChecksum(absl::string_view data) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", hash);
}

}  // namespace tenantry::storage
