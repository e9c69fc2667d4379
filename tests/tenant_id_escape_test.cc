// Sends tenant ids that try to leave the tenants/ directory of the data
// directory (path traversal, absolute paths, encoded slashes, NUL bytes,
// and other malformed ids) as the x-tenant-id metadata of
// ProfileService.ListProfiles and as CreateTenant.tenant_id. Each must be
// rejected, and the data directory and its parent must keep exactly the
// same files with the same sizes.
//
// Each metadata value goes out twice. The gRPC C++ client sends it where it
// can, and hand-written HTTP/2 frames send every value byte for byte, so
// the server also receives values that no gRPC client sends. gRPC C++ 1.51
// rejects a metadata value with bytes outside 0x20..0x7e: the core returns
// GRPC_CALL_ERROR_INVALID_METADATA and call_op_set.h aborts the process.
// The gRPC client therefore sends such values from a child process, this
// binary started with kClientModeFlag, and the test records how it ends.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/test_server.h"

extern char** environ;

namespace tenantry::tests {
namespace {

using grpc::StatusCode;
using tenantry::v1::CreateTenantRequest;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::ListTenantsRequest;
using tenantry::v1::ListTenantsResponse;
using tenantry::v1::Tenant;
using ::testing::HasSubstr;

// With this first argument, followed by a port and a hex-encoded tenant id,
// the test binary makes one ListProfiles call with that x-tenant-id and
// prints the result instead of running tests.
constexpr char kClientModeFlag[] = "--tenant_id_escape_client";

// The tenant that every test server has.
constexpr char kRegisteredTenant[] = "alpha";

// How long a child client or a raw HTTP/2 call may take.
constexpr auto kCallTimeout = std::chrono::seconds(15);

// A tenant id under test and the error it must get as x-tenant-id.
struct EscapeValue {
  // The gtest parameter name.
  std::string name;
  std::string tenant_id;
  // INVALID_ARGUMENT for a malformed id, NOT_FOUND for a well-formed id
  // that is not registered.
  StatusCode metadata_code;
};

void PrintTo(const EscapeValue& value, std::ostream* os) {
  *os << value.name << " \"" << absl::CHexEscape(value.tenant_id) << "\"";
}

std::vector<EscapeValue> EscapeValues() {
  return {
      {"Empty", "", StatusCode::INVALID_ARGUMENT},
      {"DotDot", "..", StatusCode::INVALID_ARGUMENT},
      {"NestedTraversal", "x/../../evil", StatusCode::INVALID_ARGUMENT},
      {"RegisteredThroughTraversal", "alpha/../alpha",
       StatusCode::INVALID_ARGUMENT},
      {"EncodedSlash", "a%2Fb", StatusCode::INVALID_ARGUMENT},
      {"AbsolutePath", "/etc/passwd", StatusCode::INVALID_ARGUMENT},
      {"WithNul", std::string("dev\0tenant", 10), StatusCode::INVALID_ARGUMENT},
      {"SixtyFourLetters", std::string(64, 'a'), StatusCode::INVALID_ARGUMENT},
      {"Uppercase", "DEV", StatusCode::INVALID_ARGUMENT},
      {"WithSpaces", "dev tenant", StatusCode::INVALID_ARGUMENT},
      {"LeadingSpaceBeforeRegistered", " alpha", StatusCode::INVALID_ARGUMENT},
      {"Unicode", "t\xc3\xa9nant", StatusCode::INVALID_ARGUMENT},
      {"Unregistered", "ghost", StatusCode::NOT_FOUND},
  };
}

// Whether a gRPC C++ client sends `value` as a metadata value: only bytes
// 0x20..0x7e are legal in a metadata value whose key does not end in -bin.
bool IsSendableMetadataValue(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Maps the path of every file and directory under `directory`, relative
// to it, to the file's size, or to -1 for a directory.
using Tree = std::map<std::string, int64_t>;

Tree ListTree(const std::filesystem::path& directory) {
  Tree tree;
  for (const std::filesystem::directory_entry& entry :
       std::filesystem::recursive_directory_iterator(directory)) {
    tree[std::filesystem::relative(entry.path(), directory).string()] =
        entry.is_regular_file() ? static_cast<int64_t>(entry.file_size()) : -1;
  }
  return tree;
}

// Returns the google.rpc.BadRequest detail of `status`, if any.
std::optional<google::rpc::BadRequest> BadRequestOf(
    const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const google::protobuf::Any& any : details.details()) {
    if (any.type_url() != "type.googleapis.com/google.rpc.BadRequest") {
      continue;
    }
    google::rpc::BadRequest bad_request;
    if (!bad_request.ParseFromString(any.value())) return std::nullopt;
    return bad_request;
  }
  return std::nullopt;
}

// Checks that `status` has exactly one field violation, for `field`.
void ExpectFieldViolation(const grpc::Status& status, absl::string_view field) {
  const std::optional<google::rpc::BadRequest> bad_request =
      BadRequestOf(status);
  ASSERT_TRUE(bad_request.has_value())
      << "no google.rpc.BadRequest detail in: " << status.error_message();
  ASSERT_EQ(bad_request->field_violations_size(), 1)
      << bad_request->ShortDebugString();
  EXPECT_EQ(bad_request->field_violations(0).field(), field);
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat(field, ": ")));
}

ListProfilesRequest RegisteredListProfiles() {
  ListProfilesRequest request;
  request.set_parent(TenantName(kRegisteredTenant));
  return request;
}

// ---------------------------------------------------------------------------
// The child process that calls through the gRPC C++ client.

// What a child client process did.
struct ChildOutcome {
  // "exit N" or "signal N (NAME)".
  std::string termination;
  // The child's output: "code=N message=M" once the call returned.
  std::string output;
  // Whether the call returned a status, OK or not.
  bool call_returned = false;
  int code = -1;
};

// Runs ListProfiles with the x-tenant-id in `tenant_id_hex` against
// 127.0.0.1:`port` and prints the status. This is the child process.
int RunClientMode(absl::string_view port, absl::string_view tenant_id_hex) {
  const std::string tenant_id = absl::HexStringToBytes(tenant_id_hex);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  std::unique_ptr<tenantry::v1::ProfileService::Stub> stub =
      tenantry::v1::ProfileService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(TestServer::kCallTimeoutSeconds));
  context.AddMetadata("x-tenant-id", tenant_id);
  ListProfilesResponse response;
  const grpc::Status status =
      stub->ListProfiles(&context, RegisteredListProfiles(), &response);
  std::cout << "code=" << static_cast<int>(status.error_code())
            << " message=" << absl::CHexEscape(status.error_message())
            << std::endl;
  return 0;
}

// Starts this binary in client mode, waits at most kCallTimeout, and
// returns what it did. Kills the child if it takes longer.
ChildOutcome RunChildClient(int port, absl::string_view tenant_id) {
  ChildOutcome outcome;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    ADD_FAILURE() << "pipe failed: " << std::strerror(errno);
    return outcome;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  const std::string executable = "/proc/self/exe";
  const std::string port_text = absl::StrCat(port);
  const std::string tenant_id_hex = absl::BytesToHexString(tenant_id);
  std::vector<char*> argv = {const_cast<char*>(executable.c_str()),
                             const_cast<char*>(kClientModeFlag),
                             const_cast<char*>(port_text.c_str()),
                             const_cast<char*>(tenant_id_hex.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, executable.c_str(), &actions,
                                      nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawn_error != 0) {
    close(pipe_fds[0]);
    ADD_FAILURE() << "posix_spawn failed: " << std::strerror(spawn_error);
    return outcome;
  }

  const auto deadline = std::chrono::steady_clock::now() + kCallTimeout;
  bool timed_out = false;
  char buffer[4096];
  while (true) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd poll_fd = {pipe_fds[0], POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(remaining.count())) <= 0) continue;
    const ssize_t read_bytes = read(pipe_fds[0], buffer, sizeof(buffer));
    if (read_bytes <= 0) break;
    outcome.output.append(buffer, read_bytes);
  }
  close(pipe_fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  if (timed_out) {
    ADD_FAILURE() << "the client process did not finish within "
                  << kCallTimeout.count() << " s and was killed";
  }
  if (WIFSIGNALED(wait_status)) {
    outcome.termination = absl::StrCat("signal ", WTERMSIG(wait_status), " (",
                                       strsignal(WTERMSIG(wait_status)), ")");
  } else {
    outcome.termination = absl::StrCat("exit ", WEXITSTATUS(wait_status));
  }
  int code = 0;
  if (sscanf(outcome.output.c_str(), "code=%d", &code) == 1) {
    outcome.call_returned = true;
    outcome.code = code;
  }
  return outcome;
}

// ---------------------------------------------------------------------------
// A minimal HTTP/2 client (RFC 9113) with an HPACK encoder and decoder
// (RFC 7541) for one gRPC call. It encodes every header as a literal
// without Huffman coding, so it can send any bytes. It decodes only what
// gRPC 1.51 servers send for a short error: strings without Huffman coding;
// a Huffman-coded string is replaced with kHuffmanPlaceholder.

constexpr uint8_t kFrameData = 0x0;
constexpr uint8_t kFrameHeaders = 0x1;
constexpr uint8_t kFrameRstStream = 0x3;
constexpr uint8_t kFrameSettings = 0x4;
constexpr uint8_t kFramePing = 0x6;
constexpr uint8_t kFrameGoaway = 0x7;
constexpr uint8_t kFrameContinuation = 0x9;
constexpr uint8_t kFlagEndStream = 0x1;
constexpr uint8_t kFlagAck = 0x1;
constexpr uint8_t kFlagEndHeaders = 0x4;
constexpr uint8_t kFlagPadded = 0x8;
constexpr uint8_t kFlagPriority = 0x20;
constexpr uint16_t kSettingsHeaderTableSize = 0x1;
constexpr uint32_t kStreamId = 1;
constexpr char kHuffmanPlaceholder[] = "<huffman>";

// The outcome of one gRPC call over raw HTTP/2.
struct RawCallResult {
  // Whether a grpc-status header arrived.
  bool has_grpc_status = false;
  int grpc_status = -1;
  // The percent-decoded grpc-message header.
  std::string grpc_message;
  // Why the call ended without a grpc-status: a reset stream, GOAWAY, a
  // closed connection or a timeout.
  std::string transport_error;
};

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream_id,
                  absl::string_view payload) {
  std::string frame;
  const uint32_t length = static_cast<uint32_t>(payload.size());
  frame.push_back(static_cast<char>((length >> 16) & 0xff));
  frame.push_back(static_cast<char>((length >> 8) & 0xff));
  frame.push_back(static_cast<char>(length & 0xff));
  frame.push_back(static_cast<char>(type));
  frame.push_back(static_cast<char>(flags));
  // The reserved top bit of the stream id stays 0.
  const uint32_t id = stream_id & 0x7fffffff;
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>((id >> shift) & 0xff));
  }
  frame.append(payload.data(), payload.size());
  return frame;
}

// Appends an HPACK integer with a `prefix_bits`-bit prefix. `first_byte`
// contains the bits above the prefix.
void AppendHpackInteger(uint64_t value, int prefix_bits, uint8_t first_byte,
                        std::string* out) {
  const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out->push_back(static_cast<char>(first_byte | value));
    return;
  }
  out->push_back(static_cast<char>(first_byte | max_prefix));
  value -= max_prefix;
  while (value >= 128) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Appends a "literal header field without indexing, new name" with both
// strings raw.
void AppendLiteralHeader(absl::string_view name, absl::string_view value,
                         std::string* block) {
  block->push_back('\0');
  AppendHpackInteger(name.size(), 7, 0x00, block);
  block->append(name.data(), name.size());
  AppendHpackInteger(value.size(), 7, 0x00, block);
  block->append(value.data(), value.size());
}

// Decodes HPACK header blocks of one connection.
class HpackDecoder {
 public:
  // Appends the headers of `block` to `headers`. Returns false if the
  // block is malformed or names a table entry this decoder lacks.
  bool Decode(absl::string_view block,
              std::vector<std::pair<std::string, std::string>>* headers) {
    block_ = block;
    while (!block_.empty()) {
      const uint8_t first = static_cast<uint8_t>(block_.front());
      uint64_t index = 0;
      if (first & 0x80) {
        // Indexed header field.
        if (!ReadInteger(7, &index)) return false;
        std::pair<std::string, std::string> entry;
        if (!Lookup(index, &entry)) return false;
        headers->push_back(std::move(entry));
      } else if ((first & 0xe0) == 0x20) {
        // Dynamic table size update.
        uint64_t size = 0;
        if (!ReadInteger(5, &size)) return false;
        max_table_size_ = size;
        Evict();
      } else {
        // A literal: with incremental indexing (01), or without (0000,
        // 0001).
        const bool add_to_table = (first & 0xc0) == 0x40;
        if (!ReadInteger(add_to_table ? 6 : 4, &index)) return false;
        std::pair<std::string, std::string> entry;
        if (index == 0) {
          if (!ReadString(&entry.first)) return false;
        } else if (!Lookup(index, &entry)) {
          return false;
        }
        if (!ReadString(&entry.second)) return false;
        if (add_to_table) {
          table_.insert(table_.begin(), entry);
          Evict();
        }
        headers->push_back(std::move(entry));
      }
    }
    return true;
  }

 private:
  static constexpr uint64_t kStaticTableSize = 61;

  bool ReadInteger(int prefix_bits, uint64_t* value) {
    if (block_.empty()) return false;
    const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
    *value = static_cast<uint8_t>(block_.front()) & max_prefix;
    block_.remove_prefix(1);
    if (*value < max_prefix) return true;
    for (int shift = 0; shift < 56; shift += 7) {
      if (block_.empty()) return false;
      const uint8_t byte = static_cast<uint8_t>(block_.front());
      block_.remove_prefix(1);
      *value += uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool ReadString(std::string* out) {
    if (block_.empty()) return false;
    const bool huffman = (static_cast<uint8_t>(block_.front()) & 0x80) != 0;
    uint64_t length = 0;
    if (!ReadInteger(7, &length) || length > block_.size()) return false;
    *out =
        huffman ? kHuffmanPlaceholder : std::string(block_.substr(0, length));
    block_.remove_prefix(length);
    return true;
  }

  // The static table's entries are not kept: no header that this test
  // reads is in it, so they decode as an empty name and value.
  bool Lookup(uint64_t index, std::pair<std::string, std::string>* entry) {
    if (index == 0) return false;
    if (index <= kStaticTableSize) {
      *entry = {"", ""};
      return true;
    }
    const uint64_t dynamic_index = index - kStaticTableSize - 1;
    if (dynamic_index >= table_.size()) return false;
    *entry = table_[dynamic_index];
    return true;
  }

  void Evict() {
    uint64_t size = 0;
    for (size_t i = 0; i < table_.size(); ++i) {
      size += 32 + table_[i].first.size() + table_[i].second.size();
      if (size > max_table_size_) {
        table_.resize(i);
        return;
      }
    }
  }

  absl::string_view block_;
  // Newest entry first, as HPACK numbers them.
  std::vector<std::pair<std::string, std::string>> table_;
  uint64_t max_table_size_ = 4096;
};

// Decodes the %XX escapes of a grpc-message value.
std::string PercentDecode(absl::string_view text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        absl::ascii_isxdigit(text[i + 1]) &&
        absl::ascii_isxdigit(text[i + 2])) {
      decoded += absl::HexStringToBytes(text.substr(i + 1, 2));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t written = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (written <= 0) return false;
    data.remove_prefix(written);
  }
  return true;
}

// Reads exactly `size` bytes before `deadline`. Returns false on EOF, an
// error or the deadline.
bool ReadExactly(int fd, size_t size,
                 std::chrono::steady_clock::time_point deadline,
                 std::string* out) {
  out->clear();
  char buffer[4096];
  while (out->size() < size) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return false;
    pollfd poll_fd = {fd, POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(remaining.count())) <= 0) continue;
    const ssize_t read_bytes =
        recv(fd, buffer, std::min(sizeof(buffer), size - out->size()), 0);
    if (read_bytes <= 0) return false;
    out->append(buffer, read_bytes);
  }
  return true;
}

// Sends one unary gRPC call to 127.0.0.1:`port` as raw HTTP/2 frames, with
// `headers` after the standard ones, and returns how it ended.
RawCallResult SendRawGrpcCall(
    int port, absl::string_view method_path,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& serialized_request) {
  RawCallResult result;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    result.transport_error = absl::StrCat("socket: ", std::strerror(errno));
    return result;
  }
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    result.transport_error = absl::StrCat("connect: ", std::strerror(errno));
    close(fd);
    return result;
  }

  // SETTINGS_HEADER_TABLE_SIZE 0 keeps the server from indexing headers,
  // so that every header arrives as a literal.
  std::string settings;
  settings.push_back(static_cast<char>(kSettingsHeaderTableSize >> 8));
  settings.push_back(static_cast<char>(kSettingsHeaderTableSize & 0xff));
  settings.append(4, '\0');
  std::string block;
  AppendLiteralHeader(":method", "POST", &block);
  AppendLiteralHeader(":scheme", "http", &block);
  AppendLiteralHeader(":path", method_path, &block);
  AppendLiteralHeader(":authority", absl::StrCat("127.0.0.1:", port), &block);
  AppendLiteralHeader("content-type", "application/grpc", &block);
  AppendLiteralHeader("te", "trailers", &block);
  for (const auto& [name, value] : headers) {
    AppendLiteralHeader(name, value, &block);
  }
  std::string message(1, '\0');
  const uint32_t length = static_cast<uint32_t>(serialized_request.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    message.push_back(static_cast<char>((length >> shift) & 0xff));
  }
  message += serialized_request;
  const std::string request = absl::StrCat(
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Frame(kFrameSettings, 0, 0, settings),
      Frame(kFrameHeaders, kFlagEndHeaders, kStreamId, block),
      Frame(kFrameData, kFlagEndStream, kStreamId, message));
  if (!WriteAll(fd, request)) {
    result.transport_error = absl::StrCat("send: ", std::strerror(errno));
    close(fd);
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() + kCallTimeout;
  HpackDecoder decoder;
  std::string header_block;
  std::string frame_header;
  std::string payload;
  while (result.transport_error.empty() && !result.has_grpc_status) {
    if (!ReadExactly(fd, 9, deadline, &frame_header)) {
      result.transport_error = "the connection closed or timed out";
      break;
    }
    const auto byte = [&frame_header](int i) {
      return static_cast<uint8_t>(frame_header[i]);
    };
    const size_t payload_length = (byte(0) << 16) | (byte(1) << 8) | byte(2);
    const uint8_t type = byte(3);
    const uint8_t flags = byte(4);
    const uint32_t stream_id =
        ((byte(5) & 0x7f) << 24) | (byte(6) << 16) | (byte(7) << 8) | byte(8);
    if (!ReadExactly(fd, payload_length, deadline, &payload)) {
      result.transport_error = "the connection closed inside a frame";
      break;
    }
    if (type == kFrameSettings && (flags & kFlagAck) == 0) {
      WriteAll(fd, Frame(kFrameSettings, kFlagAck, 0, ""));
    } else if (type == kFramePing && (flags & kFlagAck) == 0) {
      WriteAll(fd, Frame(kFramePing, kFlagAck, 0, payload));
    } else if (type == kFrameGoaway) {
      result.transport_error = absl::StrCat(
          "GOAWAY ",
          absl::CHexEscape(payload.size() > 8 ? payload.substr(8) : ""));
    } else if (type == kFrameRstStream && stream_id == kStreamId) {
      result.transport_error = absl::StrCat(
          "RST_STREAM error code ",
          payload.size() == 4 ? static_cast<uint8_t>(payload[3]) : -1);
    } else if ((type == kFrameHeaders || type == kFrameContinuation) &&
               stream_id == kStreamId) {
      absl::string_view fragment = payload;
      if (type == kFrameHeaders) {
        size_t padding = 0;
        if ((flags & kFlagPadded) && !fragment.empty()) {
          padding = static_cast<uint8_t>(fragment.front());
          fragment.remove_prefix(1);
        }
        if (flags & kFlagPriority) {
          fragment.remove_prefix(std::min<size_t>(5, fragment.size()));
        }
        fragment.remove_suffix(std::min(padding, fragment.size()));
      }
      header_block.append(fragment.data(), fragment.size());
      if (flags & kFlagEndHeaders) {
        std::vector<std::pair<std::string, std::string>> decoded;
        if (!decoder.Decode(header_block, &decoded)) {
          result.transport_error = "the server sent an undecodable header";
        }
        header_block.clear();
        for (const auto& [name, value] : decoded) {
          if (name == "grpc-status" && value != kHuffmanPlaceholder) {
            result.has_grpc_status = true;
            result.grpc_status = std::atoi(value.c_str());
          } else if (name == "grpc-message") {
            result.grpc_message = PercentDecode(value);
          }
        }
      }
    }
  }
  close(fd);
  return result;
}

// ---------------------------------------------------------------------------

class TenantIdEscapeTest : public ::testing::TestWithParam<EscapeValue> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant(kRegisteredTenant);
    // Opens the tenant's database, which creates its -wal and -shm files,
    // so that later reads add no file.
    ListProfilesResponse response;
    const grpc::Status status = server_->profiles().ListProfiles(
        TestServer::TenantContext(kRegisteredTenant).get(),
        RegisteredListProfiles(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    data_dir_ = server_->data_dir();
    parent_dir_ = data_dir_.parent_path();
    data_dir_before_ = ListTree(data_dir_);
    parent_dir_before_ = ListTree(parent_dir_);

    // Where a server that joined the id to a path would create files. A
    // path with NUL cannot be checked; the listings above cover it.
    const std::string& tenant_id = GetParam().tenant_id;
    if (tenant_id.find('\0') != std::string::npos) return;
    for (const char* suffix : {".db", ".db-wal", ".db-shm", ".db.tmp", ""}) {
      const std::filesystem::path path =
          (data_dir_ / "tenants" / absl::StrCat(tenant_id, suffix))
              .lexically_normal();
      std::error_code error;
      if (!std::filesystem::exists(path, error)) absent_paths_.push_back(path);
    }
  }

  // Checks that no file appeared, vanished or changed size in the data
  // directory or its parent, and that nothing appeared where the id, used
  // as a path, would put a tenant database.
  void ExpectNoFileChanges() {
    EXPECT_EQ(ListTree(data_dir_), data_dir_before_);
    EXPECT_EQ(ListTree(parent_dir_), parent_dir_before_);
    for (const std::filesystem::path& path : absent_paths_) {
      std::error_code error;
      EXPECT_FALSE(std::filesystem::exists(path, error)) << path << " exists";
    }
  }

  // Returns the names of all registered tenants.
  std::vector<std::string> RegisteredTenantNames() {
    ListTenantsRequest request;
    request.set_page_size(1000);
    ListTenantsResponse response;
    const grpc::Status status = server_->tenants().ListTenants(
        TestServer::Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const Tenant& tenant : response.tenants())
      ids.push_back(tenant.name());
    return ids;
  }

  std::unique_ptr<TestServer> server_;
  std::filesystem::path data_dir_;
  std::filesystem::path parent_dir_;
  Tree data_dir_before_;
  Tree parent_dir_before_;
  // Paths that did not exist when the test started.
  std::vector<std::filesystem::path> absent_paths_;
};

TEST_P(TenantIdEscapeTest, MetadataFromGrpcClientRejected) {
  const EscapeValue& value = GetParam();

  if (!IsSendableMetadataValue(value.tenant_id)) {
    // The gRPC client may abort its process, so the call runs in a child.
    const ChildOutcome outcome =
        RunChildClient(server_->port(), value.tenant_id);
    RecordProperty("grpc_client_termination", outcome.termination);
    RecordProperty("grpc_client_output", outcome.output);
    std::cout << "gRPC C++ client with x-tenant-id \""
              << absl::CHexEscape(value.tenant_id)
              << "\": " << outcome.termination << ", output: "
              << (outcome.output.empty() ? "(none)" : outcome.output)
              << std::endl;
    // A client that sends the value must get the same error as below.
    if (outcome.call_returned) {
      EXPECT_EQ(outcome.code, static_cast<int>(value.metadata_code))
          << outcome.output;
    }
    ExpectNoFileChanges();
    return;
  }

  ListProfilesResponse response;
  const grpc::Status status = server_->profiles().ListProfiles(
      TestServer::TenantContext(value.tenant_id).get(),
      RegisteredListProfiles(), &response);

  EXPECT_EQ(status.error_code(), value.metadata_code) << status.error_message();
  if (value.metadata_code == StatusCode::INVALID_ARGUMENT) {
    ExpectFieldViolation(status, "x-tenant-id");
  } else {
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat("\"", value.tenant_id, "\"")));
  }
  ExpectNoFileChanges();
}

TEST_P(TenantIdEscapeTest, MetadataFromRawHttp2Rejected) {
  const EscapeValue& value = GetParam();

  const RawCallResult result = SendRawGrpcCall(
      server_->port(), "/tenantry.v1.ProfileService/ListProfiles",
      {{"x-tenant-id", value.tenant_id}},
      RegisteredListProfiles().SerializeAsString());

  RecordProperty("grpc_status", result.grpc_status);
  RecordProperty("grpc_message", result.grpc_message);
  RecordProperty("transport_error", result.transport_error);
  std::cout << "raw HTTP/2 with x-tenant-id \""
            << absl::CHexEscape(value.tenant_id) << "\": grpc-status "
            << result.grpc_status << ", grpc-message "
            << absl::CHexEscape(result.grpc_message)
            << (result.transport_error.empty() ? "" : ", ")
            << result.transport_error << std::endl;
  ASSERT_TRUE(result.has_grpc_status)
      << "no grpc-status; the call ended with: " << result.transport_error;
  EXPECT_EQ(result.grpc_status, static_cast<int>(value.metadata_code))
      << result.grpc_message;
  if (value.metadata_code == StatusCode::INVALID_ARGUMENT) {
    EXPECT_THAT(result.grpc_message, HasSubstr("x-tenant-id: "));
  }
  ExpectNoFileChanges();
}

INSTANTIATE_TEST_SUITE_P(EscapeValues, TenantIdEscapeTest,
                         ::testing::ValuesIn(EscapeValues()),
                         [](const ::testing::TestParamInfo<EscapeValue>& info) {
                           return info.param.name;
                         });

// The same ids, except well-formed ones, as CreateTenant.tenant_id.
class CreateTenantIdEscapeTest : public TenantIdEscapeTest {};

std::vector<EscapeValue> MalformedEscapeValues() {
  std::vector<EscapeValue> malformed;
  for (EscapeValue& value : EscapeValues()) {
    if (value.metadata_code == StatusCode::INVALID_ARGUMENT) {
      malformed.push_back(std::move(value));
    }
  }
  return malformed;
}

TEST_P(CreateTenantIdEscapeTest, Rejected) {
  const EscapeValue& value = GetParam();
  CreateTenantRequest request;
  request.set_tenant_id(value.tenant_id);
  request.mutable_tenant()->set_display_name("Escape");

  Tenant tenant;
  const grpc::Status status = server_->tenants().CreateTenant(
      TestServer::Context().get(), request, &tenant);

  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  ExpectFieldViolation(status, "tenant_id");
  EXPECT_THAT(RegisteredTenantNames(),
              ::testing::ElementsAre(TenantName(kRegisteredTenant)));
  ExpectNoFileChanges();
}

INSTANTIATE_TEST_SUITE_P(MalformedIds, CreateTenantIdEscapeTest,
                         ::testing::ValuesIn(MalformedEscapeValues()),
                         [](const ::testing::TestParamInfo<EscapeValue>& info) {
                           return info.param.name;
                         });

// A well-formed id, such as the unregistered "ghost" above, gets its
// database at tenants/<id>.db and nothing else.
TEST(CreateTenantFilesTest, WellFormedIdAddsOnlyItsDatabase) {
  absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  // The first tenant also creates the tenants/ directory.
  (*server)->CreateTenant(kRegisteredTenant);
  const std::filesystem::path data_dir = (*server)->data_dir();
  const std::string data_dir_name = data_dir.filename().string();
  const Tree data_dir_before = ListTree(data_dir);
  const Tree parent_before = ListTree(data_dir.parent_path());

  (*server)->CreateTenant("ghost");

  std::vector<std::string> added;
  for (const auto& [path, size] : ListTree(data_dir)) {
    if (data_dir_before.count(path) == 0) added.push_back(path);
  }
  EXPECT_THAT(added,
              ::testing::Each(::testing::StartsWith("tenants/ghost.db")));
  EXPECT_THAT(added, ::testing::Contains("tenants/ghost.db"));
  // Everything in the parent but the data directory stays as it was.
  const auto outside_data_dir = [&data_dir_name](const Tree& tree) {
    Tree outside;
    for (const auto& [path, size] : tree) {
      if (!absl::StartsWith(path, data_dir_name)) outside[path] = size;
    }
    return outside;
  };
  EXPECT_EQ(outside_data_dir(ListTree(data_dir.parent_path())),
            outside_data_dir(parent_before));
}

// The raw HTTP/2 client must get OK for a registered tenant. Otherwise the
// rejections above could come from a broken client.
TEST(RawHttp2ClientTest, RegisteredTenantGetsOk) {
  absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->CreateTenant(kRegisteredTenant);

  const RawCallResult result = SendRawGrpcCall(
      (*server)->port(), "/tenantry.v1.ProfileService/ListProfiles",
      {{"x-tenant-id", kRegisteredTenant}},
      RegisteredListProfiles().SerializeAsString());

  ASSERT_TRUE(result.has_grpc_status) << result.transport_error;
  EXPECT_EQ(result.grpc_status, 0) << result.grpc_message;
}

}  // namespace
}  // namespace tenantry::tests

int main(int argc, char** argv) {
  if (argc == 4 &&
      absl::string_view(argv[1]) == tenantry::tests::kClientModeFlag) {
    return tenantry::tests::RunClientMode(argv[2], argv[3]);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
