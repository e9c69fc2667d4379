// document_transfer: uploads a file as a Tenantry document and downloads a
// document to a file, through the UploadDocument and DownloadDocument
// streams. Each keeps about one chunk in memory, whatever the file's size.

#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tenantry/v1/document.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "host:port of the Tenantry server.");
ABSL_FLAG(std::string, tenant, "",
          "Tenant id, sent as x-tenant-id (required).");
ABSL_FLAG(std::string, file, "", "upload: the file to upload (required).");
ABSL_FLAG(std::string, title, "",
          "upload: the document's title; empty means the file's name.");
ABSL_FLAG(std::string, content_type, "",
          "upload: the document's media type, such as application/pdf; empty "
          "lets the server pick application/octet-stream.");
ABSL_FLAG(std::string, owner, "",
          "upload: the owner profile, tenants/ID/profiles/ID; empty means "
          "none.");
ABSL_FLAG(std::string, request_id, "",
          "upload: a request id, so that repeating the same upload returns "
          "the first document instead of making a second one.");
ABSL_FLAG(int64_t, chunk_bytes, 1 << 20,
          "upload: bytes per message; at most the server's "
          "--document_chunk_bytes.");
ABSL_FLAG(std::string, name, "",
          "download: the document, tenants/ID/documents/ID (required).");
ABSL_FLAG(std::string, out, "",
          "download: the file to write (required). The content goes to "
          "OUT.part first and is renamed to OUT once its SHA-256 matches.");
ABSL_FLAG(std::string, api_key_file, "",
          "File whose first line is the API key, sent as authorization: "
          "Bearer KEY. Without it the key comes from $TENANTRY_API_KEY, and "
          "no key is sent if that is unset.");
ABSL_FLAG(std::string, ca_file, "",
          "PEM certificate (or CA) of a server that serves TLS; empty "
          "connects in plaintext.");
ABSL_FLAG(absl::Duration, timeout, absl::Hours(1),
          "Deadline of the whole transfer, for example 10m.");
ABSL_FLAG(std::string, json, "", "Also write the result as JSON to this file.");

namespace {

using tenantry::v1::Document;
using tenantry::v1::DownloadDocumentRequest;
using tenantry::v1::DownloadDocumentResponse;
using tenantry::v1::UploadDocumentRequest;

constexpr char kUsage[] =
    R"(Uploads a file as a Tenantry document, or downloads one to a file.

  document_transfer upload --target=HOST:PORT --tenant=ID --file=PATH
      [--title=TEXT] [--content_type=TYPE] [--owner=NAME]
      [--request_id=ID] [--chunk_bytes=1048576]
  document_transfer download --target=HOST:PORT --tenant=ID
      --name=tenants/ID/documents/ID --out=PATH

Both read or write the file in chunks and hash it as it streams, so memory
stays at about one chunk. upload sends the SHA-256 in the last message and
the server stores nothing if it does not match. download checks the size
and SHA-256 that the server announces before it renames OUT.part to OUT.
Both print one line: the document's name, size, SHA-256, seconds, MiB/s
and the peak resident memory of this process (VmHWM); --json writes the
same as JSON. Exit code 0 on success, 1 on any error.)";

// Incremental SHA-256 with OpenSSL.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(context_, EVP_sha256(), nullptr);
  }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data) {
    EVP_DigestUpdate(context_, data.data(), data.size());
  }

  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_, digest, &length);
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  EVP_MD_CTX* context_;
};

struct Transfer {
  std::string command;
  std::string name;
  int64_t size_bytes = 0;
  std::string sha256;
  double seconds = 0;
};

// Returns this process's peak resident set size (VmHWM) in KiB, or -1 if
// /proc does not report it.
int64_t PeakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmHWM:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kib = 0;
    if (absl::SimpleAtoi(rest, &kib)) return kib;
  }
  return -1;
}

absl::StatusOr<std::string> ReadApiKey() {
  const std::string path = absl::GetFlag(FLAGS_api_key_file);
  if (path.empty()) {
    const char* key = std::getenv("TENANTRY_API_KEY");
    return std::string(key != nullptr ? key : "");
  }
  std::ifstream file(path);
  std::string key;
  if (!file.is_open() || !std::getline(file, key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to read --api_key_file=", path));
  }
  return std::string(absl::StripAsciiWhitespace(key));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel() {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  const std::string ca_file = absl::GetFlag(FLAGS_ca_file);
  if (!ca_file.empty()) {
    std::ifstream file(ca_file);
    std::stringstream pem;
    pem << file.rdbuf();
    if (!file.is_open() || pem.str().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("failed to read --ca_file=", ca_file));
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(tls);
  }
  grpc::ChannelArguments arguments;
  // A server with --document_chunk_bytes above 4 MiB sends larger messages
  // than gRPC's default receive limit.
  arguments.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target), credentials,
                                   arguments);
}

absl::Status PrepareContext(grpc::ClientContext& context,
                            const std::string& tenant) {
  const absl::StatusOr<std::string> key = ReadApiKey();
  if (!key.ok()) return key.status();
  if (!key->empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", *key));
  }
  context.AddMetadata("x-tenant-id", tenant);
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  return absl::OkStatus();
}

absl::Status RpcError(absl::string_view method, const grpc::Status& status) {
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      absl::StrCat(method, " failed: ", status.error_message()));
}

absl::StatusOr<Transfer> Upload(const std::string& tenant) {
  const std::string path = absl::GetFlag(FLAGS_file);
  const int64_t chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  if (path.empty()) return absl::InvalidArgumentError("--file is required");
  if (chunk_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chunk_bytes=", chunk_bytes, " must be at least 1"));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return absl::NotFoundError(absl::StrCat("failed to open --file=", path));
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel();
  if (!channel.ok()) return channel.status();
  auto stub = tenantry::v1::DocumentService::NewStub(*channel);
  grpc::ClientContext context;
  if (absl::Status prepared = PrepareContext(context, tenant); !prepared.ok()) {
    return prepared;
  }

  const absl::Time start = absl::Now();
  Document response;
  std::unique_ptr<grpc::ClientWriter<UploadDocumentRequest>> writer =
      stub->UploadDocument(&context, &response);
  UploadDocumentRequest message;
  message.set_parent(absl::StrCat("tenants/", tenant));
  Document* document = message.mutable_document();
  const std::string title = absl::GetFlag(FLAGS_title);
  document->set_title(
      title.empty() ? std::filesystem::path(path).filename().string() : title);
  document->set_content_type(absl::GetFlag(FLAGS_content_type));
  document->set_owner(absl::GetFlag(FLAGS_owner));
  message.set_request_id(absl::GetFlag(FLAGS_request_id));
  // A write fails once the server has ended the call, for example on a
  // bad first message; Finish() then returns the server's status.
  bool open = writer->Write(message);
  Sha256 hash;
  int64_t size_bytes = 0;
  std::string buffer(static_cast<size_t>(chunk_bytes), '\0');
  while (open && file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize read = file.gcount();
    if (read <= 0) break;
    message.Clear();
    message.mutable_chunk()->assign(buffer.data(), static_cast<size_t>(read));
    hash.Update(message.chunk());
    size_bytes += read;
    open = writer->Write(message);
  }
  if (file.bad()) {
    context.TryCancel();
    // The call ends CANCELLED; the server stores nothing.
    (void)writer->Finish();
    return absl::DataLossError(absl::StrCat("failed to read --file=", path));
  }
  const std::string sha256 = hash.HexDigest();
  if (open) {
    message.Clear();
    message.set_sha256(sha256);
    writer->Write(message);
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return RpcError("UploadDocument", status);
  if (response.sha256() != sha256 || response.size_bytes() != size_bytes) {
    return absl::DataLossError(absl::StrCat(
        "the server stored ", response.size_bytes(), " bytes with SHA-256 ",
        response.sha256(), " but the file sent has ", size_bytes,
        " bytes with SHA-256 ", sha256));
  }
  Transfer transfer;
  transfer.command = "upload";
  transfer.name = response.name();
  transfer.size_bytes = size_bytes;
  transfer.sha256 = sha256;
  transfer.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return transfer;
}

absl::StatusOr<Transfer> Download(const std::string& tenant) {
  const std::string name = absl::GetFlag(FLAGS_name);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (name.empty()) return absl::InvalidArgumentError("--name is required");
  if (out.empty()) return absl::InvalidArgumentError("--out is required");
  const std::string partial = out + ".part";
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel();
  if (!channel.ok()) return channel.status();
  auto stub = tenantry::v1::DocumentService::NewStub(*channel);
  grpc::ClientContext context;
  if (absl::Status prepared = PrepareContext(context, tenant); !prepared.ok()) {
    return prepared;
  }

  const absl::Time start = absl::Now();
  std::ofstream file(partial, std::ios::binary | std::ios::trunc);
  if (!file.is_open()) {
    return absl::PermissionDeniedError(
        absl::StrCat("failed to create ", partial));
  }
  DownloadDocumentRequest request;
  request.set_name(name);
  std::unique_ptr<grpc::ClientReader<DownloadDocumentResponse>> reader =
      stub->DownloadDocument(&context, request);
  DownloadDocumentResponse response;
  std::optional<Document> document;
  Sha256 hash;
  int64_t size_bytes = 0;
  while (reader->Read(&response)) {
    if (!document.has_value()) document = response.document();
    hash.Update(response.chunk());
    size_bytes += static_cast<int64_t>(response.chunk().size());
    file.write(response.chunk().data(),
               static_cast<std::streamsize>(response.chunk().size()));
  }
  const grpc::Status status = reader->Finish();
  file.close();
  const auto fail = [&partial](absl::Status error) {
    std::remove(partial.c_str());
    return error;
  };
  if (!status.ok()) return fail(RpcError("DownloadDocument", status));
  if (!file) return fail(absl::DataLossError("failed to write " + partial));
  if (!document.has_value()) {
    return fail(absl::DataLossError(
        "DownloadDocument ended without a message; expected the document"));
  }
  const std::string sha256 = hash.HexDigest();
  if (sha256 != document->sha256() || size_bytes != document->size_bytes()) {
    return fail(absl::DataLossError(
        absl::StrCat("received ", size_bytes, " bytes with SHA-256 ", sha256,
                     " but the server announced ", document->size_bytes(),
                     " bytes with SHA-256 ", document->sha256())));
  }
  std::error_code error;
  std::filesystem::rename(partial, out, error);
  if (error) {
    return fail(absl::InternalError(absl::StrCat(
        "failed to rename ", partial, " to ", out, ": ", error.message())));
  }
  Transfer transfer;
  transfer.command = "download";
  transfer.name = document->name();
  transfer.size_bytes = size_bytes;
  transfer.sha256 = sha256;
  transfer.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return transfer;
}

absl::Status Report(const Transfer& transfer) {
  const double mebibytes = static_cast<double>(transfer.size_bytes) / (1 << 20);
  const double rate = transfer.seconds > 0 ? mebibytes / transfer.seconds : 0.0;
  const int64_t peak_rss_kib = PeakRssKib();
  std::cout << absl::StrFormat(
      "%s %s: %d bytes, sha256 %s, %.3f s, %.1f MiB/s, peak RSS %.1f MiB\n",
      transfer.command == "upload" ? "uploaded" : "downloaded", transfer.name,
      transfer.size_bytes, transfer.sha256, transfer.seconds, rate,
      static_cast<double>(peak_rss_kib) / 1024);
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (json_path.empty()) return absl::OkStatus();
  std::ofstream json(json_path, std::ios::trunc);
  json << absl::StrFormat(
      "{\"tool\": \"document_transfer\", \"command\": \"%s\", \"name\": "
      "\"%s\", \"size_bytes\": %d, \"sha256\": \"%s\", \"seconds\": %.6f, "
      "\"mib_per_second\": %.3f, \"peak_rss_kib\": %d}\n",
      transfer.command, absl::CEscape(transfer.name), transfer.size_bytes,
      transfer.sha256, transfer.seconds, rate, peak_rss_kib);
  json.close();
  if (!json) {
    return absl::PermissionDeniedError(
        absl::StrCat("failed to write --json=", json_path));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  // absl lists only the flags of the file named after argv[0] in --help,
  // which a renamed binary would miss.
  const std::string flags_file =
      absl::GetFlagReflectionHandle(FLAGS_target).Filename();
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [flags_file](absl::string_view file) {
    return file == flags_file;
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(kUsage);
  const std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);

  if (arguments.size() != 2 || (std::string(arguments[1]) != "upload" &&
                                std::string(arguments[1]) != "download")) {
    std::cerr << "document_transfer: expected one command, upload or "
                 "download; see --help\n";
    return EXIT_FAILURE;
  }
  const std::string command = arguments[1];
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (tenant.empty()) {
    std::cerr << "document_transfer: --tenant is required\n";
    return EXIT_FAILURE;
  }

  const absl::StatusOr<Transfer> transfer =
      command == "upload" ? Upload(tenant) : Download(tenant);
  if (!transfer.ok()) {
    std::cerr << "document_transfer: " << command << " failed: "
              << absl::StatusCodeToString(transfer.status().code()) << ": "
              << transfer.status().message() << "\n";
    return EXIT_FAILURE;
  }
  if (const absl::Status reported = Report(*transfer); !reported.ok()) {
    std::cerr << "document_transfer: " << reported.message() << "\n";
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
