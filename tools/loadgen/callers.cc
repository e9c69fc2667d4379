#include "tools/loadgen/callers.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "bench/empty.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tenantry/v1/document.grpc.pb.h"
#include "tenantry/v1/profile.grpc.pb.h"
#include "tools/loadgen/resources.h"

namespace tenantry::loadgen {
namespace {

// Base of the callers: a fresh ClientContext per call, with the deadline
// and metadata of the plan.
class CallerBase : public Caller {
 protected:
  explicit CallerBase(const CallPlan& plan) : plan_(plan) {}

  void NewContext(absl::string_view tenant_id) {
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(ToGrpcDeadline(plan_.deadline));
    AddCallMetadata(*context_, plan_.api_key, tenant_id);
  }

  const ManifestTenant& PickTenant() {
    return *plan_.tenants[plan_.picker->Pick(random_)];
  }

  // Returns a uniformly random element of a non-empty list.
  const std::string& PickName(const std::vector<std::string>& names) {
    return names[absl::Uniform<size_t>(random_, 0, names.size())];
  }

  const CallPlan& plan_;
  absl::BitGen random_;
  std::unique_ptr<grpc::ClientContext> context_;
};

class GetProfileCaller : public CallerBase {
 public:
  GetProfileCaller(std::shared_ptr<grpc::Channel> channel, const CallPlan& plan)
      : CallerBase(plan), stub_(v1::ProfileService::NewStub(channel)) {}

  bool Prepare(bool) override {
    const ManifestTenant& tenant = PickTenant();
    request_.set_name(PickName(tenant.profiles));
    NewContext(tenant.id);
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->GetProfile(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<v1::ProfileService::Stub> stub_;
  v1::GetProfileRequest request_;
  v1::Profile response_;
};

class CreateProfileCaller : public CallerBase {
 public:
  CreateProfileCaller(std::shared_ptr<grpc::Channel> channel,
                      const CallPlan& plan)
      : CallerBase(plan), stub_(v1::ProfileService::NewStub(channel)) {}

  bool Prepare(bool warmup) override {
    const std::string* user = plan_.user_pool->Take(warmup);
    if (user == nullptr) return false;
    const ManifestTenant& tenant = PickTenant();
    FillCreateProfileRequest(tenant.id, *user, request_);
    NewContext(tenant.id);
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->CreateProfile(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<v1::ProfileService::Stub> stub_;
  v1::CreateProfileRequest request_;
  v1::Profile response_;
};

class ListProfilesCaller : public CallerBase {
 public:
  ListProfilesCaller(std::shared_ptr<grpc::Channel> channel,
                     const CallPlan& plan)
      : CallerBase(plan), stub_(v1::ProfileService::NewStub(channel)) {}

  bool Prepare(bool) override {
    const ManifestTenant& tenant = PickTenant();
    request_.set_parent(absl::StrCat("tenants/", tenant.id));
    request_.set_page_size(plan_.page_size);
    NewContext(tenant.id);
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->ListProfiles(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<v1::ProfileService::Stub> stub_;
  v1::ListProfilesRequest request_;
  v1::ListProfilesResponse response_;
};

class CreateDocumentCaller : public CallerBase {
 public:
  CreateDocumentCaller(std::shared_ptr<grpc::Channel> channel,
                       const CallPlan& plan)
      : CallerBase(plan), stub_(v1::DocumentService::NewStub(channel)) {}

  bool Prepare(bool) override {
    const ManifestTenant& tenant = PickTenant();
    const std::string owner =
        tenant.profiles.empty() ? std::string() : PickName(tenant.profiles);
    request_.Clear();
    FillCreateDocumentRequest(tenant.id, owner, plan_.document_content,
                              request_);
    NewContext(tenant.id);
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->CreateDocument(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<v1::DocumentService::Stub> stub_;
  v1::CreateDocumentRequest request_;
  v1::Document response_;
};

class GetDocumentCaller : public CallerBase {
 public:
  GetDocumentCaller(std::shared_ptr<grpc::Channel> channel,
                    const CallPlan& plan)
      : CallerBase(plan), stub_(v1::DocumentService::NewStub(channel)) {}

  bool Prepare(bool) override {
    const ManifestTenant& tenant = PickTenant();
    request_.set_name(PickName(tenant.documents));
    NewContext(tenant.id);
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->GetDocument(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<v1::DocumentService::Stub> stub_;
  v1::GetDocumentRequest request_;
  v1::Document response_;
};

// grpc.health.v1.Health/Check for the whole server (service "").
class HealthCaller : public CallerBase {
 public:
  HealthCaller(std::shared_ptr<grpc::Channel> channel, const CallPlan& plan)
      : CallerBase(plan), stub_(grpc::health::v1::Health::NewStub(channel)) {}

  bool Prepare(bool) override {
    NewContext("");
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->Check(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
  grpc::health::v1::HealthCheckRequest request_;
  grpc::health::v1::HealthCheckResponse response_;
};

// tenantry.bench.EmptyService/Call, the baseline of bench/empty.proto.
class EmptyCaller : public CallerBase {
 public:
  EmptyCaller(std::shared_ptr<grpc::Channel> channel, const CallPlan& plan)
      : CallerBase(plan), stub_(bench::EmptyService::NewStub(channel)) {}

  bool Prepare(bool) override {
    NewContext("");
    return true;
  }

  grpc::Status Invoke() override {
    return stub_->Call(context_.get(), request_, &response_);
  }

 private:
  std::unique_ptr<bench::EmptyService::Stub> stub_;
  google::protobuf::Empty request_;
  google::protobuf::Empty response_;
};

}  // namespace

TenantPicker::TenantPicker(int count, Distribution distribution, double zipf_s)
    : count_(count), distribution_(distribution) {
  if (distribution_ != Distribution::kZipf) return;
  double total = 0;
  cumulative_.reserve(count_);
  for (int k = 1; k <= count_; ++k) {
    total += 1.0 / std::pow(static_cast<double>(k), zipf_s);
    cumulative_.push_back(total);
  }
  for (double& value : cumulative_) value /= total;
}

int TenantPicker::Pick(absl::BitGen& random) const {
  if (distribution_ == Distribution::kUniform) {
    return absl::Uniform<int>(random, 0, count_);
  }
  const double u = absl::Uniform<double>(random, 0.0, 1.0);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  // Rounding may leave the last cumulative value just below u.
  return std::min(static_cast<int>(it - cumulative_.begin()), count_ - 1);
}

UserPool::UserPool(std::vector<std::string> users, int64_t warmup_limit)
    : users_(std::move(users)), warmup_limit_(warmup_limit) {}

const std::string* UserPool::Take(bool warmup) {
  const int64_t limit =
      warmup ? warmup_limit_ : static_cast<int64_t>(users_.size());
  int64_t index = next_.load();
  do {
    if (index >= limit) return nullptr;
  } while (!next_.compare_exchange_weak(index, index + 1));
  return &users_[index];
}

std::unique_ptr<Caller> CreateCaller(Method method,
                                     std::shared_ptr<grpc::Channel> channel,
                                     const CallPlan& plan) {
  switch (method) {
    case Method::kGetProfile:
      return std::make_unique<GetProfileCaller>(channel, plan);
    case Method::kCreateProfile:
      return std::make_unique<CreateProfileCaller>(channel, plan);
    case Method::kListProfiles:
      return std::make_unique<ListProfilesCaller>(channel, plan);
    case Method::kCreateDocument:
      return std::make_unique<CreateDocumentCaller>(channel, plan);
    case Method::kGetDocument:
      return std::make_unique<GetDocumentCaller>(channel, plan);
    case Method::kHealth:
      return std::make_unique<HealthCaller>(channel, plan);
    case Method::kEmpty:
      return std::make_unique<EmptyCaller>(channel, plan);
  }
  return nullptr;
}

}  // namespace tenantry::loadgen
