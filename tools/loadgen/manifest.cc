#include "tools/loadgen/manifest.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tenantry::loadgen {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  quoted.reserve(values.size());
  for (const std::string& value : values) quoted.push_back(JsonString(value));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

// Copies the strings of tenants[index].field into `out`. A missing field
// is an empty list.
absl::Status ReadStringList(const Struct& tenant, const std::string& field,
                            size_t index, absl::string_view source,
                            std::vector<std::string>& out) {
  const auto it = tenant.fields().find(field);
  if (it == tenant.fields().end()) return absl::OkStatus();
  if (it->second.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": tenants[", index, "].", field,
                     " must be a list of strings"));
  }
  const ListValue& list = it->second.list_value();
  for (int i = 0; i < list.values_size(); ++i) {
    if (list.values(i).kind_case() != Value::kStringValue) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": tenants[",
                                                     index, "].", field, "[", i,
                                                     "] must be a string"));
    }
    out.push_back(list.values(i).string_value());
  }
  return absl::OkStatus();
}

}  // namespace

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

std::string ManifestToJson(const Manifest& manifest) {
  std::vector<std::string> tenants;
  tenants.reserve(manifest.tenants.size());
  for (const ManifestTenant& tenant : manifest.tenants) {
    tenants.push_back(absl::StrCat(
        "    {\"id\": ", JsonString(tenant.id),
        ",\n     \"profiles\": ", JsonStringArray(tenant.profiles),
        ",\n     \"users\": ", JsonStringArray(tenant.users),
        ",\n     \"documents\": ", JsonStringArray(tenant.documents), "}"));
  }
  return absl::StrCat("{\"tenants\": [\n", absl::StrJoin(tenants, ",\n"),
                      "\n]}\n");
}

absl::StatusOr<Manifest> ParseManifest(absl::string_view json,
                                       absl::string_view source) {
  Struct root;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &root);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " is not valid JSON: ", parsed.ToString(),
                     ". Write it with `loadgen prepare --manifest=FILE`"));
  }
  const auto tenants = root.fields().find("tenants");
  if (tenants == root.fields().end() ||
      tenants->second.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     " has no \"tenants\" list. Write it with `loadgen prepare "
                     "--manifest=FILE`"));
  }
  Manifest manifest;
  const ListValue& list = tenants->second.list_value();
  for (int i = 0; i < list.values_size(); ++i) {
    if (list.values(i).kind_case() != Value::kStructValue) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": tenants[", i, "] must be an object"));
    }
    const Struct& object = list.values(i).struct_value();
    ManifestTenant tenant;
    const auto id = object.fields().find("id");
    if (id == object.fields().end() ||
        id->second.kind_case() != Value::kStringValue ||
        id->second.string_value().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": tenants[", i, "].id is missing or not a string"));
    }
    tenant.id = id->second.string_value();
    for (const auto& [field, out] :
         {std::pair<const char*, std::vector<std::string>*>{"profiles",
                                                            &tenant.profiles},
          {"users", &tenant.users},
          {"documents", &tenant.documents}}) {
      const absl::Status status =
          ReadStringList(object, field, i, source, *out);
      if (!status.ok()) return status;
    }
    manifest.tenants.push_back(std::move(tenant));
  }
  return manifest;
}

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return absl::NotFoundError(absl::StrCat(
        "--manifest=", path, " cannot be opened: ", std::strerror(errno),
        ". Create it with `loadgen prepare --manifest=", path, "`"));
  }
  const std::string content((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
  if (file.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--manifest=", path, " cannot be read: ", std::strerror(errno)));
  }
  return ParseManifest(content, absl::StrCat("--manifest=", path));
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content) {
  const std::string temporary = absl::StrCat(path, ".tmp");
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file.is_open()) {
      return absl::InvalidArgumentError(
          absl::StrCat(temporary, " cannot be created: ", std::strerror(errno),
                       ". Check that its directory exists and is writable"));
    }
    file.write(content.data(), static_cast<std::streamsize>(content.size()));
    file.close();
    if (file.fail()) {
      return absl::InternalError(absl::StrCat(
          "writing ", temporary, " failed: ", std::strerror(errno)));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("renaming ", temporary, " to ",
                                            path,
                                            " failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace tenantry::loadgen
