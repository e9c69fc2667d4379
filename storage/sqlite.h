#ifndef TENANTRY_STORAGE_SQLITE_H_
#define TENANTRY_STORAGE_SQLITE_H_

// A thin RAII layer over the SQLite C API that reports errors as
// absl::Status and keeps prepared statements for reuse.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"

namespace tenantry::storage {

// Converts a SQLite result code into a status with the code from
// StatusCodeForSqliteResult. `context` describes what was being done and
// starts the message.
absl::Status SqliteError(sqlite3* db, int result_code,
                         absl::string_view context);

// Raw bytes for a BLOB parameter; a plain string binds as TEXT.
struct Blob {
  absl::string_view bytes;
};

// A prepared statement owned by a SqliteConnection. Not thread-safe; the
// connection's user serializes access. Reset() runs automatically when a
// StatementLease goes out of scope.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* statement)
      : db_(db), statement_(statement) {}
  ~SqliteStatement() { sqlite3_finalize(statement_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Binds parameter `index` (1-based). An empty optional binds NULL.
  void Bind(int index, int64_t value);
  void Bind(int index, absl::string_view text);
  void Bind(int index, const std::string& text) {
    Bind(index, absl::string_view(text));
  }
  void Bind(int index, const std::optional<std::string>& text);
  void Bind(int index, Blob blob);

  // Binds the arguments to parameters 1, 2, ... in order.
  template <typename... Args>
  void BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
  }

  // Advances to the next row. Returns true if a row is available, false
  // when the statement is done, or the mapped SQLite error.
  absl::StatusOr<bool> Step();

  // Runs a statement that returns no rows. Returns the number of rows it
  // changed.
  absl::StatusOr<int> Execute();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

  void Reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
};

// A statement borrowed from a connection's cache; resets it on destruction
// so that the next user starts with no bound values and no open read.
class StatementLease {
 public:
  explicit StatementLease(SqliteStatement* statement) : statement_(statement) {}
  ~StatementLease() { statement_->Reset(); }
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;

  SqliteStatement* operator->() const { return statement_; }
  SqliteStatement& operator*() const { return *statement_; }

 private:
  SqliteStatement* statement_;
};

// One SQLite connection with a cache of prepared statements. Not
// thread-safe: callers serialize all use of one connection.
class SqliteConnection {
 public:
  struct Options {
    // Whether Open() creates the file if it does not exist.
    bool create_if_missing = false;
    // How long a statement waits for another connection's lock before it
    // fails with SQLITE_BUSY, in milliseconds.
    int busy_timeout_ms = 5000;
    // The value of PRAGMA synchronous: NORMAL or FULL. In WAL mode NORMAL
    // keeps the database consistent after a crash but may lose the last
    // commits on a power failure; FULL syncs the WAL on every commit.
    std::string synchronous = "FULL";
    // The page cache of the connection, in KiB (PRAGMA cache_size = -N).
    // 0 keeps SQLite's default of 2000 KiB.
    int page_cache_kib = 0;
    // Whether the connection may only read (PRAGMA query_only).
    bool query_only = false;
  };

  // Opens `path` in WAL mode with foreign keys on. Returns NOT_FOUND if the
  // file does not exist and `create_if_missing` is false.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, const Options& options);

  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more SQL statements that return no rows.
  absl::Status ExecuteScript(absl::string_view sql);

  // Returns a cached statement for `sql`, preparing it on first use.
  absl::StatusOr<SqliteStatement*> Prepare(absl::string_view sql);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, so that the write lock
  // is taken up front. Rolls back if `body` or COMMIT fails and returns
  // that status. Inside an open transaction, runs `body` in a savepoint
  // instead and rolls back only to it.
  absl::Status InTransaction(const std::function<absl::Status()>& body);

  // Returns the number of rows changed by the last statement.
  int changes() const { return sqlite3_changes(db_); }

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  SqliteConnection(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteStatement>>
      statements_;
};

// Steps `query`, whose last parameter is a LIMIT of `limit` + 1, and
// converts up to `limit` rows with `read`; the extra row only shows that
// more follow.
template <typename Record>
absl::StatusOr<Page<Record>> CollectPage(
    StatementLease& query, int limit, Record (*read)(const SqliteStatement&)) {
  Page<Record> page;
  while (true) {
    absl::StatusOr<bool> has_row = query->Step();
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.has_more = true;
      break;
    }
    page.items.push_back(read(*query));
  }
  return page;
}

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_SQLITE_H_
