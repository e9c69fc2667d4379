// raw_sqlite: the speed of SQLite alone on Tenantry's profiles table, the
// baseline for CreateProfile and GetProfile in bench/run.sh.
//
// Creates a fresh database file with the tenant migrations
// (migrations/tenant/, compiled in), opens it with the PRAGMAs of
// storage/sqlite.cc, and inserts --rows profiles from one thread, one row
// per transaction (autocommit), with the INSERT of storage/profile_store.cc
// prepared once. Then it reads the rows back by primary key, in random
// order, with the SELECT of ProfileStore::Get, and, with --read_threads,
// again from that many threads with a connection each. Every phase stops
// at --max_seconds.
//
// The server differs in ways this leaves out on purpose: it takes the
// tenant's turn (one call at a time per tenant database), installs the
// deadline and cancellation hooks for each call, and converts rows to
// records and protos.

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/ids.h"
#include "storage/migrations.h"

ABSL_FLAG(int, rows, 10000, "Number of profiles to insert, then read.");
ABSL_FLAG(std::string, dir, "",
          "Existing directory for the database file raw_sqlite.db, which "
          "must not exist yet. Required.");
ABSL_FLAG(std::string, synchronous, "FULL",
          "SQLite PRAGMA synchronous, as tenantry_server's --synchronous: "
          "FULL or NORMAL.");
ABSL_FLAG(int64_t, reads, 0,
          "Number of reads per read phase, cycling through the inserted rows "
          "in random order; 0 reads each inserted row once.");
ABSL_FLAG(int, read_threads, 0,
          "If positive, also read from this many threads at once, each with "
          "its own connection and --reads reads.");
ABSL_FLAG(bool, busy_cpu, false,
          "Run a thread that spins during the insert phase, so that the CPUs "
          "this process may use never go idle while a commit waits for "
          "fsync. On a virtual machine whose idle vCPU halts, waking up "
          "after the fsync can take longer than the fsync itself.");
ABSL_FLAG(absl::Duration, max_seconds, absl::Seconds(60),
          "Maximum time of each phase (insert, read, concurrent read); a "
          "phase that reaches it stops early and reports what it did.");
ABSL_FLAG(std::string, json, "",
          "If set, also write the results as JSON here.");

namespace {

// The column list and placeholders of storage/profile_store.cc, which keeps
// them in an anonymous namespace. bench/raw_sqlite_test.sh checks that the
// text matches.
constexpr char kProfileColumns[] =
    "id, user_id, full_name, phone, address, bio, avatar_url, role, "
    "student_school, student_class_name, student_major, "
    "student_academic_year, teacher_work_unit, teacher_subject, "
    "teacher_specialty, teacher_title, verification_status, visibility, "
    "show_contact, allow_interaction, slug, date_of_birth, create_time, "
    "update_time, revision";
constexpr char kProfilePlaceholders[] =
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
constexpr int kProfileColumnCount = 25;

// Busy timeout of SqliteConnection::Options.
constexpr int kBusyTimeoutMs = 5000;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "raw_sqlite: " << message << "\n";
  std::exit(EXIT_FAILURE);
}

void Check(sqlite3* db, int result, const std::string& action) {
  if (result == SQLITE_OK) return;
  Fail(absl::StrCat("failed to ", action, ": ",
                    db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result),
                    " (SQLite code ", result, ")"));
}

// Opens `path` like SqliteConnection::Open in storage/sqlite.cc.
sqlite3* OpenDatabase(const std::string& path, bool create,
                      const std::string& synchronous) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                    (create ? SQLITE_OPEN_CREATE : 0);
  Check(db, sqlite3_open_v2(path.c_str(), &db, flags, nullptr),
        absl::StrCat("open ", path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  const std::string pragmas =
      absl::StrCat("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; ",
                   "PRAGMA synchronous = ", synchronous, ";");
  Check(db, sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr),
        absl::StrCat("set the PRAGMAs on ", path));
  return db;
}

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  Check(db,
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &statement, nullptr),
        absl::StrCat("prepare \"", sql, "\""));
  return statement;
}

void BindText(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text64(statement, index, text.data(), text.size(),
                      SQLITE_TRANSIENT, SQLITE_UTF8);
}

// Binds one student profile in the order of kProfileColumns, with the
// types that BindProfile in storage/profile_store.cc uses.
void BindProfile(sqlite3_stmt* statement, const std::string& id,
                 const std::string& user_id, int number) {
  const int64_t now = absl::ToUnixMicros(absl::Now());
  int index = 0;
  BindText(statement, ++index, id);
  BindText(statement, ++index, user_id);
  BindText(statement, ++index, absl::StrCat("Bench Student ", number));
  for (int i = 0; i < 4; ++i) {  // phone, address, bio, avatar_url
    BindText(statement, ++index, "");
  }
  BindText(statement, ++index, "student");
  BindText(statement, ++index, "Tenantry High");
  BindText(statement, ++index, "12A");
  BindText(statement, ++index, "");
  BindText(statement, ++index, "");
  for (int i = 0; i < 4; ++i) {  // teacher_*
    BindText(statement, ++index, "");
  }
  BindText(statement, ++index, "unverified");
  BindText(statement, ++index, "public");
  sqlite3_bind_int64(statement, ++index, 0);  // show_contact
  sqlite3_bind_int64(statement, ++index, 1);  // allow_interaction
  sqlite3_bind_null(statement, ++index);      // slug
  sqlite3_bind_null(statement, ++index);      // date_of_birth
  sqlite3_bind_int64(statement, ++index, now);
  sqlite3_bind_int64(statement, ++index, now);
  sqlite3_bind_int64(statement, ++index, 1);  // revision
  if (index != kProfileColumnCount) {
    Fail(absl::StrCat("bound ", index, " columns, expected ",
                      kProfileColumnCount));
  }
}

// Reads every column of the current row, as ReadProfile does, so that the
// read phase pays for the copies too. Returns the length of the data, which
// keeps the compiler from dropping the reads.
size_t ReadRow(sqlite3_stmt* statement) {
  size_t bytes = 0;
  for (int column = 0; column < kProfileColumnCount; ++column) {
    if (sqlite3_column_type(statement, column) == SQLITE_INTEGER) {
      bytes += static_cast<size_t>(sqlite3_column_int64(statement, column) & 1);
      continue;
    }
    const unsigned char* text = sqlite3_column_text(statement, column);
    if (text == nullptr) continue;
    std::string copy(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(statement, column));
    bytes += copy.size();
  }
  return bytes;
}

// Calls of one phase and how long each took.
struct PhaseResult {
  int64_t count = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

double Percentile(const std::vector<double>& sorted_values, double fraction) {
  if (sorted_values.empty()) return 0;
  const size_t rank = static_cast<size_t>(
      std::ceil(fraction * static_cast<double>(sorted_values.size())));
  return sorted_values[std::min(sorted_values.size() - 1,
                                rank == 0 ? 0 : rank - 1)];
}

std::string PhaseJson(const PhaseResult& phase) {
  std::vector<double> sorted = phase.latencies_ms;
  std::sort(sorted.begin(), sorted.end());
  const double per_second =
      phase.seconds > 0 ? static_cast<double>(phase.count) / phase.seconds : 0;
  return absl::StrFormat(
      "{\"count\": %d, \"seconds\": %.6f, \"per_second\": %.1f, "
      "\"latency_ms\": {\"p50\": %.4f, \"p90\": %.4f, \"p99\": %.4f, "
      "\"p999\": %.4f, \"max\": %.4f}}",
      phase.count, phase.seconds, per_second, Percentile(sorted, 0.50),
      Percentile(sorted, 0.90), Percentile(sorted, 0.99),
      Percentile(sorted, 0.999), sorted.empty() ? 0.0 : sorted.back());
}

void PrintPhase(const std::string& name, const PhaseResult& phase) {
  std::vector<double> sorted = phase.latencies_ms;
  std::sort(sorted.begin(), sorted.end());
  std::cout << absl::StrFormat(
      "%-16s %8d rows in %7.3f s = %10.1f/s", name, phase.count, phase.seconds,
      phase.seconds > 0 ? static_cast<double>(phase.count) / phase.seconds
                        : 0.0);
  if (!sorted.empty()) {
    std::cout << absl::StrFormat("  p50 %.3f ms  p99 %.3f ms  max %.3f ms",
                                 Percentile(sorted, 0.50),
                                 Percentile(sorted, 0.99), sorted.back());
  }
  std::cout << "\n";
}

void ApplyTenantMigrations(sqlite3* db, const std::string& path) {
  for (const tenantry::storage::Migration& migration :
       tenantry::storage::TenantMigrations()) {
    const std::string script =
        absl::StrCat("BEGIN IMMEDIATE;\n", migration.sql, "\nCOMMIT;");
    Check(db, sqlite3_exec(db, script.c_str(), nullptr, nullptr, nullptr),
          absl::StrCat("apply migration ", migration.name, " to ", path));
  }
}

// Keeps one CPU busy from construction to destruction.
class CpuSpinner {
 public:
  CpuSpinner()
      : thread_([this]() {
          while (!stop_.load(std::memory_order_relaxed)) {
          }
        }) {}
  ~CpuSpinner() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

PhaseResult InsertRows(sqlite3* db, int rows, absl::Duration max_time,
                       bool busy_cpu, std::vector<std::string>* ids) {
  std::unique_ptr<CpuSpinner> spinner;
  if (busy_cpu) spinner = std::make_unique<CpuSpinner>();
  sqlite3_stmt* insert =
      Prepare(db, absl::StrCat("INSERT INTO profiles (", kProfileColumns,
                               ") VALUES (", kProfilePlaceholders, ")"));
  PhaseResult result;
  result.latencies_ms.reserve(rows);
  const absl::Time start = absl::Now();
  for (int i = 0; i < rows; ++i) {
    const absl::Time call_start = absl::Now();
    if (call_start - start >= max_time) break;
    std::string id = tenantry::storage::NewResourceId();
    BindProfile(insert, id, tenantry::storage::NewResourceId(), i);
    const int step = sqlite3_step(insert);
    if (step != SQLITE_DONE) Check(db, step, "insert a profile");
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    result.latencies_ms.push_back(
        absl::ToDoubleMilliseconds(absl::Now() - call_start));
    ids->push_back(std::move(id));
  }
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.count = static_cast<int64_t>(result.latencies_ms.size());
  sqlite3_finalize(insert);
  return result;
}

// Reads `count` ids from `ids`, in an order that `seed` shuffles, or until
// `max_time` has passed.
PhaseResult ReadRows(sqlite3* db, const std::vector<std::string>& ids,
                     int64_t count, uint32_t seed, absl::Duration max_time) {
  sqlite3_stmt* select = Prepare(
      db,
      absl::StrCat("SELECT ", kProfileColumns, " FROM profiles WHERE id = ?"));
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 random(seed);
  std::shuffle(order.begin(), order.end(), random);

  PhaseResult result;
  result.latencies_ms.reserve(count);
  size_t bytes = 0;
  const absl::Time start = absl::Now();
  for (int64_t i = 0; i < count && !order.empty(); ++i) {
    const absl::Time call_start = absl::Now();
    if (call_start - start >= max_time) break;
    const std::string& id = ids[order[i % order.size()]];
    BindText(select, 1, id);
    const int step = sqlite3_step(select);
    if (step != SQLITE_ROW) {
      if (step == SQLITE_DONE) Fail(absl::StrCat("profile ", id, " not found"));
      Check(db, step, "read a profile");
    }
    bytes += ReadRow(select);
    sqlite3_reset(select);
    sqlite3_clear_bindings(select);
    result.latencies_ms.push_back(
        absl::ToDoubleMilliseconds(absl::Now() - call_start));
  }
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.count = static_cast<int64_t>(result.latencies_ms.size());
  sqlite3_finalize(select);
  if (bytes == 0 && result.count > 0) Fail("read rows without data");
  return result;
}

// Reads from `threads` threads with a connection each and merges their
// reads. The merged `seconds` is the wall time until the last thread ends.
PhaseResult ReadRowsConcurrently(const std::string& path,
                                 const std::string& synchronous,
                                 const std::vector<std::string>& ids,
                                 int64_t reads_per_thread, int threads,
                                 absl::Duration max_time) {
  std::vector<PhaseResult> results(threads);
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t]() {
      sqlite3* db = OpenDatabase(path, /*create=*/false, synchronous);
      results[t] =
          ReadRows(db, ids, reads_per_thread, /*seed=*/1000 + t, max_time);
      sqlite3_close_v2(db);
    });
  }
  for (std::thread& worker : workers) worker.join();
  PhaseResult merged;
  merged.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (const PhaseResult& result : results) {
    merged.count += result.count;
    merged.latencies_ms.insert(merged.latencies_ms.end(),
                               result.latencies_ms.begin(),
                               result.latencies_ms.end());
  }
  return merged;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures SQLite inserts and primary-key reads on Tenantry's profiles "
      "table without the server.\n"
      "Example: raw_sqlite --dir=/tmp/raw --rows=10000 --synchronous=NORMAL "
      "--json=raw.json");
  absl::ParseCommandLine(argc, argv);
  const int rows = absl::GetFlag(FLAGS_rows);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const std::string synchronous = absl::GetFlag(FLAGS_synchronous);
  const int64_t reads_flag = absl::GetFlag(FLAGS_reads);
  const int read_threads = absl::GetFlag(FLAGS_read_threads);
  const absl::Duration max_time = absl::GetFlag(FLAGS_max_seconds);
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (rows <= 0) Fail(absl::StrCat("--rows must be positive, not ", rows));
  if (dir.empty()) Fail("--dir is required: pass an existing directory");
  if (synchronous != "FULL" && synchronous != "NORMAL") {
    Fail(absl::StrCat("--synchronous must be FULL or NORMAL, not \"",
                      synchronous, "\""));
  }
  if (reads_flag < 0) {
    Fail(absl::StrCat("--reads must be 0 or more, not ", reads_flag));
  }
  if (read_threads < 0) {
    Fail(absl::StrCat("--read_threads must be 0 or more, not ", read_threads));
  }
  if (max_time <= absl::ZeroDuration()) {
    Fail(absl::StrCat("--max_seconds must be positive, not ",
                      absl::FormatDuration(max_time)));
  }
  const std::string path = absl::StrCat(dir, "/raw_sqlite.db");
  struct stat info;
  if (stat(path.c_str(), &info) == 0) {
    Fail(
        absl::StrCat(path, " already exists; remove it or pass another --dir"));
  }

  sqlite3* db = OpenDatabase(path, /*create=*/true, synchronous);
  ApplyTenantMigrations(db, path);
  std::vector<std::string> ids;
  ids.reserve(rows);
  const PhaseResult inserts =
      InsertRows(db, rows, max_time, absl::GetFlag(FLAGS_busy_cpu), &ids);
  const int64_t read_count =
      reads_flag > 0 ? reads_flag : static_cast<int64_t>(ids.size());
  const PhaseResult reads = ReadRows(db, ids, read_count, /*seed=*/1, max_time);
  PhaseResult concurrent_reads;
  if (read_threads > 0) {
    concurrent_reads = ReadRowsConcurrently(path, synchronous, ids, read_count,
                                            read_threads, max_time);
  }
  sqlite3_close_v2(db);

  std::cout << "raw_sqlite: " << path << ", synchronous=" << synchronous
            << ", journal_mode=WAL, SQLite " << sqlite3_libversion()
            << (absl::GetFlag(FLAGS_busy_cpu) ? ", busy CPU during inserts"
                                              : "")
            << "\n";
  PrintPhase("insert", inserts);
  PrintPhase("read", reads);
  if (read_threads > 0) {
    PrintPhase(absl::StrCat("read x", read_threads), concurrent_reads);
  }

  if (!json_path.empty()) {
    std::vector<std::string> fields = {
        "\"tool\": \"raw_sqlite\"",
        absl::StrCat("\"synchronous\": \"", synchronous, "\""),
        "\"journal_mode\": \"WAL\"",
        absl::StrCat("\"busy_cpu\": ",
                     absl::GetFlag(FLAGS_busy_cpu) ? "true" : "false"),
        absl::StrCat("\"sqlite_version\": \"", sqlite3_libversion(), "\""),
        absl::StrCat("\"rows_requested\": ", rows),
        absl::StrCat("\"reads_requested\": ", read_count),
        absl::StrCat("\"insert\": ", PhaseJson(inserts)),
        absl::StrCat("\"read\": ", PhaseJson(reads)),
        absl::StrCat("\"read_threads\": ", read_threads),
    };
    if (read_threads > 0) {
      fields.push_back(
          absl::StrCat("\"concurrent_read\": ", PhaseJson(concurrent_reads)));
    }
    std::ofstream out(json_path);
    out << "{" << absl::StrJoin(fields, ", ") << "}\n";
    out.close();
    if (!out) Fail(absl::StrCat("failed to write ", json_path));
  }
  return EXIT_SUCCESS;
}
