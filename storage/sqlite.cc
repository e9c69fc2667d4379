#include "storage/sqlite.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/database_errors.h"
#include "storage/status_macros.h"

namespace tenantry::storage {

absl::Status SqliteError(sqlite3* db, int result_code,
                         absl::string_view context) {
  const std::string message = absl::StrCat(
      context, ": ",
      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result_code));
  return absl::Status(StatusCodeForSqliteResult(result_code), message);
}

void SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
}

void SqliteStatement::Bind(int index, absl::string_view text) {
  sqlite3_bind_text64(statement_, index, text.data(), text.size(),
                      SQLITE_TRANSIENT, SQLITE_UTF8);
}

void SqliteStatement::Bind(int index, const std::optional<std::string>& text) {
  if (text.has_value()) {
    Bind(index, absl::string_view(*text));
  } else {
    sqlite3_bind_null(statement_, index);
  }
}

void SqliteStatement::Bind(int index, Blob blob) {
  // A zero-length blob with a null pointer would bind NULL; "" keeps it a
  // BLOB so that NOT NULL columns accept empty content.
  const char* data = blob.bytes.empty() ? "" : blob.bytes.data();
  sqlite3_bind_blob64(statement_, index, data, blob.bytes.size(),
                      SQLITE_TRANSIENT);
}

absl::StatusOr<bool> SqliteStatement::Step() {
  const int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  return SqliteError(
      db_, sqlite3_extended_errcode(db_),
      absl::StrCat("failed to run \"", sqlite3_sql(statement_), "\""));
}

absl::StatusOr<int> SqliteStatement::Execute() {
  TENANTRY_ASSIGN_OR_RETURN(const bool has_row, Step());
  (void)has_row;
  return sqlite3_changes(db_);
}

int64_t SqliteStatement::ColumnInt(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     sqlite3_column_bytes(statement_, column));
}

std::optional<std::string> SqliteStatement::ColumnOptionalText(
    int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}

std::string SqliteStatement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(statement_, column);
  if (data == nullptr) return "";
  return std::string(static_cast<const char*>(data),
                     sqlite3_column_bytes(statement_, column));
}

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

void SqliteStatement::Reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, const Options& options) {
  struct stat info;
  if (!options.create_if_missing && stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(
        absl::StrCat("database file ", path, " does not exist"));
  }
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                    (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  sqlite3* db = nullptr;
  const int result = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (result != SQLITE_OK) {
    absl::Status status =
        SqliteError(db, result, absl::StrCat("failed to open ", path));
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db, path));
  TENANTRY_RETURN_IF_ERROR(connection->ExecuteScript(
      absl::StrCat("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
                   "PRAGMA synchronous = ",
                   options.synchronous, ";")));
  if (options.page_cache_kib > 0) {
    TENANTRY_RETURN_IF_ERROR(connection->ExecuteScript(
        absl::StrCat("PRAGMA cache_size = -", options.page_cache_kib, ";")));
  }
  if (options.query_only) {
    TENANTRY_RETURN_IF_ERROR(
        connection->ExecuteScript("PRAGMA query_only = 1;"));
  }
  return connection;
}

SqliteConnection::~SqliteConnection() {
  // Statements must be finalized before the connection closes.
  statements_.clear();
  sqlite3_close_v2(db_);
}

absl::Status SqliteConnection::ExecuteScript(absl::string_view sql) {
  const std::string script(sql);
  char* error = nullptr;
  const int result =
      sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  if (result != SQLITE_OK) {
    return SqliteError(db_, sqlite3_extended_errcode(db_),
                       absl::StrCat("failed to run SQL on ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement*> SqliteConnection::Prepare(
    absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* statement = nullptr;
  const int result =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (result != SQLITE_OK) {
    return SqliteError(db_, result,
                       absl::StrCat("failed to prepare \"", sql, "\""));
  }
  auto owned = std::make_unique<SqliteStatement>(db_, statement);
  SqliteStatement* pointer = owned.get();
  statements_.emplace(std::string(sql), std::move(owned));
  return pointer;
}

absl::Status SqliteConnection::InTransaction(
    const std::function<absl::Status()>& body) {
  if (!sqlite3_get_autocommit(db_)) {
    // Inside a transaction already, such as a group commit: a savepoint
    // makes `body` atomic within it.
    TENANTRY_RETURN_IF_ERROR(ExecuteScript("SAVEPOINT nested"));
    absl::Status status = body();
    if (!status.ok()) {
      ExecuteScript("ROLLBACK TO nested").IgnoreError();
    }
    ExecuteScript("RELEASE nested").IgnoreError();
    return status;
  }
  TENANTRY_RETURN_IF_ERROR(ExecuteScript("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = ExecuteScript("COMMIT");
  if (!status.ok() && !sqlite3_get_autocommit(db_)) {
    // ROLLBACK only fails when no transaction is open, which the check
    // above rules out.
    ExecuteScript("ROLLBACK").IgnoreError();
  }
  return status;
}

}  // namespace tenantry::storage
