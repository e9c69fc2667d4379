#include "tools/loadgen/prepare.h"

#include <atomic>
#include <iostream>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tenantry/v1/document.grpc.pb.h"
#include "tenantry/v1/profile.grpc.pb.h"
#include "tenantry/v1/tenant.grpc.pb.h"
#include "tenantry/v1/user.grpc.pb.h"
#include "tools/loadgen/client.h"
#include "tools/loadgen/manifest.h"
#include "tools/loadgen/parallel_tasks.h"
#include "tools/loadgen/resources.h"

namespace tenantry::loadgen {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

absl::Status CallError(absl::string_view call, absl::string_view subject,
                       const grpc::Status& status) {
  return absl::InternalError(absl::StrCat(call, " for ", subject,
                                          " failed: ", DescribeStatus(status)));
}

}  // namespace

absl::Status RunPrepare(const PrepareOptions& options) {
  const auto channels = CreateChannels(options.target, 1);
  const absl::Status connected =
      WaitForChannels(channels, options.target, Clock::now() + kConnectTimeout);
  if (!connected.ok()) return connected;
  const auto tenant_stub = v1::TenantService::NewStub(channels[0]);
  const auto user_stub = v1::UserService::NewStub(channels[0]);
  const auto profile_stub = v1::ProfileService::NewStub(channels[0]);
  const auto document_stub = v1::DocumentService::NewStub(channels[0]);

  Manifest manifest;
  manifest.tenants.resize(options.tenants);
  for (int t = 0; t < options.tenants; ++t) {
    ManifestTenant& tenant = manifest.tenants[t];
    tenant.id = absl::StrFormat("%s-%05d", options.tenant_prefix, t);
    tenant.users.resize(options.profiles);
    tenant.profiles.resize(options.profiles);
    tenant.documents.resize(options.documents);
  }
  // Emails must be unique across runs against the same server.
  absl::BitGen random;
  const std::string run_token =
      absl::StrFormat("%08x", absl::Uniform<uint32_t>(random));

  std::atomic<int> reused_tenants{0};
  absl::Status status = RunParallelTasks(
      options.tenants, kSetupParallelism, "tenants", [&](int64_t t) {
        const std::string& id = manifest.tenants[t].id;
        grpc::ClientContext context;
        context.set_deadline(ToGrpcDeadline(Clock::now() + kSetupCallTimeout));
        AddCallMetadata(context, options.api_key, "");
        v1::CreateTenantRequest request;
        request.set_tenant_id(id);
        request.mutable_tenant()->set_display_name(
            absl::StrCat("loadgen tenant ", id));
        v1::Tenant response;
        const grpc::Status call =
            tenant_stub->CreateTenant(&context, request, &response);
        if (call.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          reused_tenants.fetch_add(1);
          return absl::OkStatus();
        }
        if (!call.ok()) return CallError("CreateTenant", id, call);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (reused_tenants.load() > 0) {
    std::cerr << "loadgen: reused " << reused_tenants.load()
              << " existing tenants\n";
  }

  const int64_t profile_count =
      static_cast<int64_t>(options.tenants) * options.profiles;
  status = RunParallelTasks(
      profile_count, kSetupParallelism, "users and profiles", [&](int64_t i) {
        ManifestTenant& tenant = manifest.tenants[i / options.profiles];
        const int64_t j = i % options.profiles;
        absl::StatusOr<std::string> user = CreateUser(
            *user_stub, options.api_key,
            absl::StrFormat("loadgen-%s-%s-%d", run_token, tenant.id, j));
        if (!user.ok()) return user.status();
        tenant.users[j] = *user;

        grpc::ClientContext context;
        context.set_deadline(ToGrpcDeadline(Clock::now() + kSetupCallTimeout));
        AddCallMetadata(context, options.api_key, tenant.id);
        v1::CreateProfileRequest request;
        FillCreateProfileRequest(tenant.id, *user, request);
        v1::Profile profile;
        const grpc::Status call =
            profile_stub->CreateProfile(&context, request, &profile);
        if (!call.ok()) return CallError("CreateProfile", *user, call);
        tenant.profiles[j] = profile.name();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;

  const std::string content = DocumentContent(options.document_bytes);
  const int64_t document_count =
      static_cast<int64_t>(options.tenants) * options.documents;
  status = RunParallelTasks(
      document_count, kSetupParallelism, "documents", [&](int64_t i) {
        ManifestTenant& tenant = manifest.tenants[i / options.documents];
        const int64_t k = i % options.documents;
        grpc::ClientContext context;
        context.set_deadline(ToGrpcDeadline(Clock::now() + kSetupCallTimeout));
        AddCallMetadata(context, options.api_key, tenant.id);
        v1::CreateDocumentRequest request;
        const std::string owner =
            tenant.profiles.empty()
                ? std::string()
                : tenant.profiles[k % tenant.profiles.size()];
        FillCreateDocumentRequest(tenant.id, owner, content, request);
        v1::Document document;
        const grpc::Status call =
            document_stub->CreateDocument(&context, request, &document);
        if (!call.ok()) {
          return CallError("CreateDocument", absl::StrCat("tenant ", tenant.id),
                           call);
        }
        tenant.documents[k] = document.name();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;

  status = WriteFileAtomically(options.manifest_path, ManifestToJson(manifest));
  if (!status.ok()) return status;
  std::cerr << "loadgen: wrote " << options.manifest_path << " with "
            << options.tenants << " tenants, " << profile_count
            << " profiles and " << document_count << " documents\n";
  return absl::OkStatus();
}

}  // namespace tenantry::loadgen
