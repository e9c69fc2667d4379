#ifndef TENANTRY_SERVICES_TIMESTAMPS_H_
#define TENANTRY_SERVICES_TIMESTAMPS_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace tenantry::services {

inline void SetTimestamp(absl::Time time,
                         google::protobuf::Timestamp* timestamp) {
  const int64_t micros = absl::ToUnixMicros(time);
  // Floor division keeps nanos in [0, 1e9) for times before 1970 too.
  int64_t seconds = micros / 1000000;
  int64_t remainder = micros % 1000000;
  if (remainder < 0) {
    seconds -= 1;
    remainder += 1000000;
  }
  timestamp->set_seconds(seconds);
  timestamp->set_nanos(static_cast<int32_t>(remainder * 1000));
}

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TIMESTAMPS_H_
