// loadgen: creates load-test data on a Tenantry server and measures the
// throughput and latency of one gRPC method under load.

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "tools/loadgen/client.h"
#include "tools/loadgen/manifest.h"
#include "tools/loadgen/prepare.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/run.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "host:port of the Tenantry server to call.");
ABSL_FLAG(std::string, manifest, "",
          "JSON file of tenants, users, profiles and documents: written by "
          "prepare, read by run for tenant-scoped methods.");
ABSL_FLAG(std::string, tenants, "",
          "prepare: number of tenants to create or reuse (required). run: "
          "`all` (the default) or N to call only the first N tenants of "
          "--manifest.");
ABSL_FLAG(int, profiles, -1,
          "prepare: users and profiles to create in each tenant (required).");
ABSL_FLAG(int, documents, 0, "prepare: documents to create in each tenant.");
ABSL_FLAG(int64_t, document_bytes, 4096,
          "Content size in bytes of each document that prepare or "
          "CreateDocument creates.");
ABSL_FLAG(std::string, tenant_prefix, "bench",
          "prepare: tenant ids are <prefix>-00000, <prefix>-00001, ...");
ABSL_FLAG(std::string, method, "",
          "run: GetProfile, CreateProfile, ListProfiles, CreateDocument, "
          "GetDocument, Health (grpc.health.v1.Health/Check) or Empty "
          "(tenantry.bench.EmptyService/Call).");
ABSL_FLAG(int, connections, 1,
          "run: channels to open, each with its own HTTP/2 connection. The "
          "calls in flight are spread over them.");
ABSL_FLAG(int, concurrency, 8,
          "run: calls in flight in total, one thread each (closed loop).");
ABSL_FLAG(int64_t, calls, 0,
          "run: stop after this many recorded calls. Without --duration, "
          "only this limit and --max_duration apply.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "run: stop after this much measured time, for example 10s. With "
          "--calls, applies only if set explicitly; whichever comes first "
          "ends the run.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "run: time of calls made before the measurement, not recorded.");
ABSL_FLAG(std::string, distribution, "uniform",
          "run: how each call picks its tenant: uniform or zipf.");
ABSL_FLAG(double, zipf_s, 1.0,
          "run: Zipf exponent s: the k-th tenant is picked with a "
          "probability proportional to 1/k^s.");
ABSL_FLAG(int, page_size, 50, "run: page_size of ListProfiles calls.");
ABSL_FLAG(std::string, json, "",
          "run: also write the result as JSON to this file.");
ABSL_FLAG(std::string, label, "",
          "run: text copied into the output, to tell runs apart.");
ABSL_FLAG(absl::Duration, progress, absl::Seconds(1),
          "run: interval of progress lines on stderr; 0s prints none.");
ABSL_FLAG(absl::Duration, max_duration, absl::Seconds(120),
          "run: hard limit on the whole run, including connecting, creating "
          "spare users and the warm-up. Calls still in flight then are cut "
          "off and not recorded.");
ABSL_FLAG(int64_t, spare_users, 0,
          "run, CreateProfile only: users created before the warm-up, one "
          "per CreateProfile call; their CreateUser calls are not measured. "
          "0 means --calls plus 10 per in-flight call for the warm-up. "
          "Required with --duration instead of --calls.");

namespace tenantry::loadgen {
namespace {

constexpr char kUsage[] =
    R"(Creates load-test data on a Tenantry server and measures one method.

  loadgen prepare --target=HOST:PORT --tenants=N --profiles=M
                  [--documents=K --document_bytes=B] [--tenant_prefix=bench]
                  --manifest=FILE
  loadgen run --target=HOST:PORT --method=METHOD [--manifest=FILE]
              [--connections=1] [--concurrency=8]
              [--calls=N | --duration=10s] [--warmup=2s]
              [--tenants=all|N] [--distribution=uniform|zipf] [--zipf_s=1.0]
              [--document_bytes=4096] [--page_size=50] [--json=FILE]
              [--label=TEXT] [--progress=1s] [--max_duration=120s]
              [--spare_users=N]

prepare creates (or reuses) tenants <prefix>-00000.., a new user and
profile per --profiles in each, and --documents documents in each, with 16
calls in flight, and writes their names to --manifest as JSON.

run is a closed-loop generator: each of --concurrency threads makes one
blocking call and starts the next when it returns. A slow server thus
lowers the offered load, and the latencies leave out the queueing that
clients sending at a fixed rate would see (coordinated omission). Each tenant-scoped call picks a
tenant from --manifest and a resource of that tenant at random, and sends
its id as x-tenant-id. CreateProfile gives each call a new user created
before the warm-up (see --spare_users). If TENANTRY_API_KEY is set, every
call sends `authorization: Bearer $TENANTRY_API_KEY`.

Latencies are measured around each call with a steady clock. Percentiles
are exact (nearest rank) up to 10 million calls, then come from a
histogram within 0.4%. run prints a table on stdout, and with --json the
same as JSON: label, method, target, connections, concurrency, tenants,
distribution, zipf_s, calls, seconds, throughput, latency_ms {p50, p90,
p99, p999, max}, latency_exact, status_counts {CODE: n}, stop_reason
(calls, duration, max_duration or spare_users), warmup_calls,
warmup_failures.

Exit codes: 0 if every recorded call was OK and the run reached --calls or
--duration; 2 (with a WARNING line on stderr) if a call failed or the run
stopped early; 1 for invalid flags or a failed setup.)";

// Flags that only one subcommand reads.
const std::vector<std::string>& PrepareOnlyFlags() {
  static const auto* flags =
      new std::vector<std::string>{"profiles", "documents", "tenant_prefix"};
  return *flags;
}

const std::vector<std::string>& RunOnlyFlags() {
  static const auto* flags = new std::vector<std::string>{
      "method", "connections",  "concurrency",  "calls",      "duration",
      "warmup", "distribution", "zipf_s",       "page_size",  "json",
      "label",  "progress",     "max_duration", "spare_users"};
  return *flags;
}

// Names of the flags given on the command line. absl 20220623 keeps
// CommandLineFlag::IsSpecifiedOnCommandLine private, so main() fills this
// from argv.
std::set<std::string>& FlagsOnCommandLine() {
  static auto* names = new std::set<std::string>();
  return *names;
}

// Records the flag names in argv: --name, --name=value, -name, and --noname
// for booleans. Arguments after a lone -- are not flags.
void FindFlagsOnCommandLine(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view argument = argv[i];
    if (argument == "--") return;
    if (!absl::ConsumePrefix(&argument, "-")) continue;
    absl::ConsumePrefix(&argument, "-");
    const absl::string_view name = argument.substr(0, argument.find('='));
    FlagsOnCommandLine().insert(std::string(name));
    if (absl::StartsWith(name, "no")) {
      FlagsOnCommandLine().insert(std::string(name.substr(2)));
    }
  }
}

bool IsSet(const std::string& flag) {
  return FlagsOnCommandLine().count(flag) > 0;
}

// Rejects flags of the other subcommand, which would be ignored.
absl::Status CheckFlagsBelongTo(absl::string_view subcommand,
                                const std::vector<std::string>& others) {
  for (const std::string& flag : others) {
    if (IsSet(flag)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " does not apply to `loadgen ", subcommand,
                       "`; remove it"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDocumentBytes(int64_t bytes) {
  constexpr int64_t kMaxBytes = int64_t{1} << 30;
  if (bytes < 0 || bytes > kMaxBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--document_bytes=", bytes, " must be between 0 and ", kMaxBytes));
  }
  return absl::OkStatus();
}

// Returns true if `prefix`-00000 is a valid tenant id: a lowercase letter,
// then lowercase letters, digits, '-' or '_', at most 63 characters.
bool IsValidTenantPrefix(absl::string_view prefix) {
  if (prefix.empty() || prefix.size() > 63 - 6) return false;
  if (prefix[0] < 'a' || prefix[0] > 'z') return false;
  for (const char c : prefix) {
    const bool valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_';
    if (!valid) return false;
  }
  return true;
}

absl::StatusOr<PrepareOptions> PrepareOptionsFromFlags() {
  absl::Status status = CheckFlagsBelongTo("prepare", RunOnlyFlags());
  if (!status.ok()) return status;
  PrepareOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.api_key = ApiKeyFromEnvironment();

  const std::string tenants = absl::GetFlag(FLAGS_tenants);
  if (!absl::SimpleAtoi(tenants, &options.tenants) || options.tenants < 1 ||
      options.tenants > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tenants=", tenants,
                     " is invalid: prepare needs a number from 1 to 100000"));
  }
  options.profiles = absl::GetFlag(FLAGS_profiles);
  if (options.profiles < 0) {
    return absl::InvalidArgumentError(
        "--profiles is missing or negative: prepare needs the number of "
        "profiles per tenant, 0 or more");
  }

  options.documents = absl::GetFlag(FLAGS_documents);
  if (options.documents < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--documents=", options.documents, " must be 0 or more"));
  }
  options.document_bytes = absl::GetFlag(FLAGS_document_bytes);
  status = CheckDocumentBytes(options.document_bytes);
  if (!status.ok()) return status;

  options.tenant_prefix = absl::GetFlag(FLAGS_tenant_prefix);
  if (!IsValidTenantPrefix(options.tenant_prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tenant_prefix=", options.tenant_prefix,
        " is invalid: use a lowercase letter, then lowercase letters, "
        "digits, - or _, at most 57 characters"));
  }
  options.manifest_path = absl::GetFlag(FLAGS_manifest);
  if (options.manifest_path.empty()) {
    return absl::InvalidArgumentError(
        "--manifest is missing: prepare needs the file to write the "
        "manifest to");
  }
  return options;
}

absl::Status CheckDuration(absl::string_view flag, absl::Duration value,
                           bool zero_allowed) {
  if (value < absl::ZeroDuration() ||
      (!zero_allowed && value == absl::ZeroDuration()) ||
      value == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", absl::FormatDuration(value), " must be ",
                     zero_allowed ? "0s or more" : "more than 0s",
                     " and finite, for example 10s"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RunOptions> RunOptionsFromFlags() {
  absl::Status status = CheckFlagsBelongTo("run", PrepareOnlyFlags());
  if (!status.ok()) return status;
  RunOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  const std::string method = absl::GetFlag(FLAGS_method);
  if (method.empty()) {
    return absl::InvalidArgumentError(
        "--method is missing. Use one of GetProfile, CreateProfile, "
        "ListProfiles, CreateDocument, GetDocument, Health, Empty");
  }
  absl::StatusOr<Method> parsed_method = ParseMethod(method);
  if (!parsed_method.ok()) return parsed_method.status();
  options.method = *parsed_method;

  options.connections = absl::GetFlag(FLAGS_connections);
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  constexpr int kMaxConcurrency = 4096;
  if (options.concurrency < 1 || options.concurrency > kMaxConcurrency) {
    return absl::InvalidArgumentError(
        absl::StrCat("--concurrency=", options.concurrency,
                     " must be between 1 and ", kMaxConcurrency));
  }
  if (options.connections < 1 || options.connections > options.concurrency) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--connections=", options.connections, " must be between 1 and ",
        "--concurrency=", options.concurrency,
        ": a connection without a call in flight would stay idle"));
  }

  options.calls = absl::GetFlag(FLAGS_calls);
  if (options.calls < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--calls=", options.calls, " must be 0 or more"));
  }
  if (options.calls == 0 || IsSet("duration")) {
    options.duration = absl::GetFlag(FLAGS_duration);
    status = CheckDuration("duration", options.duration, false);
    if (!status.ok()) return status;
  }
  options.warmup = absl::GetFlag(FLAGS_warmup);
  status = CheckDuration("warmup", options.warmup, true);
  if (!status.ok()) return status;
  options.progress = absl::GetFlag(FLAGS_progress);
  status = CheckDuration("progress", options.progress, true);
  if (!status.ok()) return status;
  options.max_duration = absl::GetFlag(FLAGS_max_duration);
  status = CheckDuration("max_duration", options.max_duration, false);
  if (!status.ok()) return status;
  if (options.calls == 0 &&
      options.warmup + options.duration > options.max_duration) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--warmup=", absl::FormatDuration(options.warmup),
        " plus --duration=", absl::FormatDuration(options.duration),
        " exceeds --max_duration=", absl::FormatDuration(options.max_duration),
        "; raise --max_duration or shorten the run"));
  }

  const std::string tenants = absl::GetFlag(FLAGS_tenants);
  if (!tenants.empty() && tenants != "all" &&
      (!absl::SimpleAtoi(tenants, &options.tenant_count) ||
       options.tenant_count < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tenants=", tenants, " is invalid: use all or a number above 0"));
  }
  const std::string distribution = absl::GetFlag(FLAGS_distribution);
  if (distribution == "uniform") {
    options.distribution = Distribution::kUniform;
  } else if (distribution == "zipf") {
    options.distribution = Distribution::kZipf;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--distribution=", distribution, " is invalid: use uniform or zipf"));
  }
  options.zipf_s = absl::GetFlag(FLAGS_zipf_s);
  if (!(options.zipf_s >= 0) || !std::isfinite(options.zipf_s)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--zipf_s=", options.zipf_s, " must be a finite number, 0 or more"));
  }
  options.document_bytes = absl::GetFlag(FLAGS_document_bytes);
  status = CheckDocumentBytes(options.document_bytes);
  if (!status.ok()) return status;
  options.page_size = absl::GetFlag(FLAGS_page_size);
  if (options.page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--page_size=", options.page_size,
                     " must be 0 (the server's default of 50) or more"));
  }

  options.spare_users = absl::GetFlag(FLAGS_spare_users);
  if (options.spare_users < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--spare_users=", options.spare_users, " must be 0 or more"));
  }
  if (options.spare_users > 0 && options.method != Method::kCreateProfile) {
    return absl::InvalidArgumentError(
        "--spare_users applies only to --method=CreateProfile; remove it");
  }
  if (options.method == Method::kCreateProfile && options.calls == 0 &&
      options.spare_users == 0) {
    return absl::InvalidArgumentError(
        "CreateProfile with --duration needs --spare_users=N, because each "
        "call needs a new user created before the run. Set N above the "
        "number of calls expected in --warmup plus --duration, or use "
        "--calls instead");
  }
  options.label = absl::GetFlag(FLAGS_label);
  options.api_key = ApiKeyFromEnvironment();

  const std::string manifest_path = absl::GetFlag(FLAGS_manifest);
  if (IsTenantScoped(options.method)) {
    if (manifest_path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--manifest is missing: ", MethodName(options.method),
          " calls tenants listed in a manifest. Write one with `loadgen "
          "prepare --manifest=FILE`"));
    }
    absl::StatusOr<Manifest> manifest = ReadManifest(manifest_path);
    if (!manifest.ok()) return manifest.status();
    options.manifest = *std::move(manifest);
  }
  return options;
}

int Fail(const absl::Status& status) {
  std::cerr << "loadgen: " << status.message() << "\n";
  return 1;
}

int MainPrepare() {
  absl::StatusOr<PrepareOptions> options = PrepareOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  const absl::Status status = RunPrepare(*options);
  if (!status.ok()) return Fail(status);
  return 0;
}

int MainRun(Clock::time_point start) {
  absl::StatusOr<RunOptions> options = RunOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  options->start = start;
  absl::StatusOr<RunResult> result = RunLoad(*options);
  if (!result.ok()) return Fail(result.status());

  std::cout << FormatTable(*options, *result) << std::flush;
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    const absl::Status written =
        WriteFileAtomically(json_path, FormatJson(*options, *result));
    if (!written.ok()) return Fail(written);
  }
  if (result->warmup_failures > 0) {
    std::cerr << "loadgen: " << result->warmup_failures << " of "
              << result->warmup_calls
              << " warm-up calls failed; they are not recorded\n";
  }
  const std::vector<std::string> warnings = FormatWarnings(*options, *result);
  for (const std::string& line : warnings) std::cerr << line << "\n";
  return warnings.empty() ? 0 : 2;
}

}  // namespace
}  // namespace tenantry::loadgen

int main(int argc, char** argv) {
  const auto start = tenantry::loadgen::Clock::now();
  // By default absl's --help lists only the flags of the file named after
  // argv[0]; this lists the flags of this file under any binary name.
  const std::string flags_file =
      absl::GetFlagReflectionHandle(FLAGS_target).Filename();
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [flags_file](absl::string_view file) {
    return file == flags_file;
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(tenantry::loadgen::kUsage);
  tenantry::loadgen::FindFlagsOnCommandLine(argc, argv);
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);

  const std::string subcommand =
      positional.size() == 2 ? std::string(positional[1]) : std::string();
  if (subcommand == "prepare") return tenantry::loadgen::MainPrepare();
  if (subcommand == "run") return tenantry::loadgen::MainRun(start);
  std::vector<std::string> arguments(positional.begin() + 1, positional.end());
  std::cerr << "loadgen: expected one subcommand, prepare or run, but got \""
            << absl::StrJoin(arguments, " ") << "\". See loadgen --help\n";
  return 1;
}
