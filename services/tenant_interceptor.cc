#include "services/tenant_interceptor.h"

#include <glog/logging.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/field_violations.h"
#include "services/grpc_status.h"
#include "storage/ids.h"
#include "storage/quoting.h"

namespace tenantry::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Calls to these methods need an API key when authentication is on.
constexpr absl::string_view kAuthenticatedMethodPrefix = "/tenantry.v1.";

constexpr absl::string_view kTenantScopedServices[] = {
    "/tenantry.v1.ProfileService/",
    "/tenantry.v1.DocumentService/",
};

absl::Time DeadlineOf(const grpc::ServerContextBase& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

// Returns the single x-tenant-id value if it is a well-formed tenant id,
// or INVALID_ARGUMENT naming the x-tenant-id field.
absl::StatusOr<std::string> TenantIdFromMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  std::vector<std::string> values;
  for (const auto& [key, value] : metadata) {
    if (absl::EqualsIgnoreCase(absl::string_view(key.data(), key.size()),
                               kTenantMetadataKey)) {
      values.emplace_back(value.data(), value.size());
    }
  }
  if (values.empty()) {
    return InvalidFieldError(
        kTenantMetadataKey,
        absl::StrCat("is missing from the metadata; send the tenant id, ",
                     storage::kTenantIdFormat));
  }
  if (values.size() > 1) {
    return InvalidFieldError(
        kTenantMetadataKey,
        "appears more than once in the metadata; send it once");
  }
  if (absl::Status valid = storage::ValidateTenantId(values.front());
      !valid.ok()) {
    return InvalidFieldError(kTenantMetadataKey, valid.message());
  }
  return values.front();
}

// Resolves the call's tenant, serves as the call's access log entry, and
// releases the call's RequestContext when gRPC destroys it at the end of
// the call.
class TenantInterceptor : public grpc::experimental::Interceptor {
 public:
  TenantInterceptor(grpc::experimental::ServerRpcInfo* info,
                    storage::TenantRegistry* tenants,
                    RequestContextRegistry* contexts,
                    ApiKeyAuthenticator* authenticator, CallTracker* calls,
                    bool access_log, TenantCallStats* call_stats,
                    CallMetrics* call_metrics)
      : info_(info),
        // Copied now: when gRPC destroys this interceptor at the end of the
        // call, the method name that `info` points to may be freed. For a
        // method the server does not serve, gRPC 1.51 names it "unknown".
        method_(info->method() != nullptr ? info->method() : ""),
        call_(info->server_context()),
        tenants_(tenants),
        contexts_(contexts),
        authenticator_(authenticator),
        calls_(calls),
        access_log_(access_log),
        call_stats_(call_stats),
        call_metrics_(call_metrics),
        start_(absl::Now()) {}

  ~TenantInterceptor() override {
    contexts_->Remove(call_);
    if (counted_) calls_->in_flight.fetch_sub(1);
    const absl::Time end = absl::Now();
    if (call_metrics_ != nullptr) {
      call_metrics_->Record(
          method_, static_cast<grpc::StatusCode>(status_code_), end - start_);
    }
    if (call_stats_ != nullptr && tenant_resolved_) {
      call_stats_->Record(tenant_id_, status_code_ == grpc::StatusCode::OK,
                          end);
    }
    if (access_log_) {
      LOG(INFO) << "call method=" << method_
                << " tenant=" << (tenant_id_.empty() ? "-" : tenant_id_)
                << " code="
                << absl::StatusCodeToString(
                       static_cast<absl::StatusCode>(status_code_))
                << " latency_us=" << absl::ToInt64Microseconds(end - start_);
    }
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      BuildContext(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // gRPC rejects a request it cannot parse, such as a string field
      // with invalid UTF-8, with INTERNAL and no message before any
      // handler runs. The handlers never send that combination.
      if (status.error_code() == grpc::StatusCode::INTERNAL &&
          status.error_message().empty()) {
        status = ToGrpcStatus(InvalidRequestError(
            "the request could not be parsed as a " + method_ +
            " request; check that string fields hold valid UTF-8"));
        methods->ModifySendStatus(status);
      }
      status_code_ = status.error_code();
      // The client's own deadline timer has fired by now, so it reports
      // DEADLINE_EXCEEDED whatever the server sends.
      if (deadline_ != absl::InfiniteFuture() &&
          status_code_ != grpc::StatusCode::DEADLINE_EXCEEDED &&
          absl::Now() >= deadline_) {
        status_code_ = grpc::StatusCode::DEADLINE_EXCEEDED;
      }
      // Errors of the server itself, not of the request, need a look from
      // an operator whether or not access logging is on.
      if (status_code_ == grpc::StatusCode::INTERNAL ||
          status_code_ == grpc::StatusCode::UNKNOWN ||
          status_code_ == grpc::StatusCode::DATA_LOSS) {
        LOG(ERROR) << "call method=" << method_
                   << " tenant=" << (tenant_id_.empty() ? "-" : tenant_id_)
                   << " failed: " << status.error_message();
      }
    }
    methods->Proceed();
  }

 private:
  void BuildContext(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    auto context = std::make_shared<RequestContext>();
    context->method = method_;
    context->deadline = DeadlineOf(*info_->server_context());
    deadline_ = context->deadline;
    context->tenant_scoped = IsTenantScopedMethod(context->method);
    absl::StatusOr<Caller> caller = Caller{true, ""};
    const bool api_method =
        absl::StartsWith(context->method, kAuthenticatedMethodPrefix);
    if (api_method) {
      // Counted before the check, so that Shutdown either sees this call
      // in flight or this call sees the stop.
      counted_ = true;
      calls_->in_flight.fetch_add(1);
      if (calls_->stopping.load()) {
        counted_ = false;
        calls_->in_flight.fetch_sub(1);
      }
    }
    if (api_method && !counted_) {
      // gRPC 1.51 cancels a call that arrives on an open connection after
      // the stop began; this makes it a retryable UNAVAILABLE instead.
      caller = absl::UnavailableError(
          "the server is stopping; retry the call, which has not run");
      context->auth_status = caller.status();
    } else if (authenticator_ != nullptr && api_method) {
      caller = authenticator_->Authenticate(metadata);
      context->auth_status = caller.status();
    }
    if (!context->tenant_scoped && caller.ok()) {
      context->auth_status =
          AuthorizeCall(*caller, context->method, /*tenant_scoped=*/false, "");
    }
    if (context->tenant_scoped) {
      // Unauthenticated callers learn nothing about tenant ids.
      absl::StatusOr<std::string> tenant_id =
          caller.ok() ? TenantIdFromMetadata(metadata)
                      : absl::StatusOr<std::string>(caller.status());
      if (tenant_id.ok()) {
        context->auth_status =
            AuthorizeCall(*caller, context->method,
                          /*tenant_scoped=*/true, *tenant_id);
      }
      absl::StatusOr<storage::TenantRecord> tenant =
          !tenant_id.ok()
              ? absl::StatusOr<storage::TenantRecord>(tenant_id.status())
          : !context->auth_status.ok()
              ? absl::StatusOr<storage::TenantRecord>(context->auth_status)
              : tenants_->ResolveServable(*tenant_id);
      if (tenant.ok()) {
        tenant_resolved_ = true;
        tenant_id_ = tenant->id;
        context->tenant = *std::move(tenant);
      } else {
        // Log what the client sent, escaped: it may hold any bytes.
        tenant_id_ = tenant_id.ok() ? storage::QuoteForMessage(*tenant_id) : "";
        context->tenant_status = tenant.status();
      }
    }
    contexts_->Put(info_->server_context(), std::move(context));
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const std::string method_;
  const grpc::ServerContextBase* const call_;
  storage::TenantRegistry* const tenants_;
  RequestContextRegistry* const contexts_;
  ApiKeyAuthenticator* const authenticator_;
  CallTracker* const calls_;
  const bool access_log_;
  TenantCallStats* const call_stats_;
  CallMetrics* const call_metrics_;
  const absl::Time start_;
  // The call's deadline, set with its context.
  absl::Time deadline_ = absl::InfiniteFuture();
  std::string tenant_id_;
  // Whether tenant_id_ names a registered tenant that the call may use,
  // rather than what an unresolved call sent.
  bool tenant_resolved_ = false;
  // Whether this call is in CallTracker::in_flight.
  bool counted_ = false;
  int status_code_ = grpc::StatusCode::UNKNOWN;
};

}  // namespace

bool IsTenantScopedMethod(absl::string_view method) {
  for (absl::string_view prefix : kTenantScopedServices) {
    if (absl::StartsWith(method, prefix)) return true;
  }
  return false;
}

grpc::experimental::Interceptor*
TenantInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new TenantInterceptor(info, tenants_, contexts_, authenticator_,
                               calls_, access_log_, call_stats_, call_metrics_);
}

}  // namespace tenantry::services
