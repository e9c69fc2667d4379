// One class per --method that builds a request and makes the call.

#ifndef TENANTRY_TOOLS_LOADGEN_CALLERS_H_
#define TENANTRY_TOOLS_LOADGEN_CALLERS_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "tools/loadgen/client.h"
#include "tools/loadgen/manifest.h"
#include "tools/loadgen/run.h"

namespace tenantry::loadgen {

// Picks the index of a tenant among `count`, uniformly or by Zipf's law.
class TenantPicker {
 public:
  TenantPicker(int count, Distribution distribution, double zipf_s);

  int Pick(absl::BitGen& random) const;

 private:
  int count_;
  Distribution distribution_;
  // Zipf only: cumulative probabilities of tenants 0 .. count - 1.
  std::vector<double> cumulative_;
};

// Users without a profile anywhere, for CreateProfile. Each is used once.
class UserPool {
 public:
  // The warm-up may take at most `warmup_limit` of `users`.
  UserPool(std::vector<std::string> users, int64_t warmup_limit);

  // Returns a user that no call took before, or nullptr if none is left
  // (for the warm-up: if it took its share).
  const std::string* Take(bool warmup);

 private:
  std::vector<std::string> users_;
  int64_t warmup_limit_;
  std::atomic<int64_t> next_{0};
};

// Inputs shared by the callers of one run. The callers only read them,
// except `user_pool`, which is thread-safe.
struct CallPlan {
  std::vector<const ManifestTenant*> tenants;
  std::unique_ptr<TenantPicker> picker;
  UserPool* user_pool = nullptr;
  std::string document_content;
  int page_size = 50;
  std::string api_key;
  // Every call's deadline: the end of --max_duration.
  Clock::time_point deadline;
};

// Makes the calls of one worker thread. Prepare builds the next request
// and its ClientContext, Invoke makes the call; only Invoke is timed.
class Caller {
 public:
  virtual ~Caller() = default;

  // Returns false if there is no more work: CreateProfile ran out of
  // spare users.
  virtual bool Prepare(bool warmup) = 0;
  virtual grpc::Status Invoke() = 0;
};

// Returns a caller for `method` on `channel`. `plan` must outlive it.
std::unique_ptr<Caller> CreateCaller(Method method,
                                     std::shared_ptr<grpc::Channel> channel,
                                     const CallPlan& plan);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_CALLERS_H_
