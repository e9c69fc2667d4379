#include "services/request_ids.h"

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/field_violations.h"
#include "storage/quoting.h"

namespace tenantry::services {
namespace {

constexpr size_t kMaxRequestIdLength = 64;

bool IsRequestIdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

absl::Status ValidateRequestId(absl::string_view field,
                               absl::string_view request_id) {
  if (request_id.size() <= kMaxRequestIdLength &&
      absl::c_all_of(request_id, IsRequestIdCharacter)) {
    return absl::OkStatus();
  }
  return InvalidFieldError(
      field, absl::StrCat(storage::QuoteForMessage(request_id),
                          " is not a valid request id; use at most 64 "
                          "letters, digits, '-' or '_', such as a UUID"));
}

// Returns the lowercase hex SHA-256 of `request` without the field
// `field`. The serialization is deterministic, so equal requests give
// equal hashes in this build. Fields the server does not know are hashed
// too.
absl::StatusOr<std::string> HashWithoutField(
    const google::protobuf::Message& request, absl::string_view field) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const google::protobuf::FieldDescriptor* descriptor =
      copy->GetDescriptor()->FindFieldByName(std::string(field));
  if (descriptor == nullptr) {
    return absl::InternalError(absl::StrCat(copy->GetDescriptor()->full_name(),
                                            " has no field ", field,
                                            " to hold a request id"));
  }
  copy->GetReflection()->ClearField(copy.get(), descriptor);

  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    if (!copy->SerializeToCodedStream(&coded)) {
      return absl::InternalError(
          absl::StrCat("failed to serialize a ",
                       copy->GetDescriptor()->full_name(), " to hash it"));
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(),
                 nullptr) != 1) {
    return absl::InternalError("OpenSSL's EVP_Digest failed on SHA-256");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

absl::StatusOr<std::optional<storage::RequestKey>> RequestKeyFor(
    absl::string_view method, const google::protobuf::Message& request,
    absl::string_view field, absl::string_view request_id) {
  if (request_id.empty()) return std::nullopt;
  if (absl::Status valid = ValidateRequestId(field, request_id); !valid.ok()) {
    return valid;
  }
  absl::StatusOr<std::string> hash = HashWithoutField(request, field);
  if (!hash.ok()) return hash.status();
  return storage::RequestKey{std::string(method), std::string(request_id),
                             *std::move(hash)};
}

}  // namespace tenantry::services
