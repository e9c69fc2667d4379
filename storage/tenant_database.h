#ifndef TENANTRY_STORAGE_TENANT_DATABASE_H_
#define TENANTRY_STORAGE_TENANT_DATABASE_H_

// One tenant's SQLite database file and the functions that create, check
// and remove such files under a data directory.

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

// When one call's work on a tenant database must stop.
struct CallLimits {
  // After this time TenantDatabase::Run() neither starts a body nor lets
  // one commit, and SQLite stops waiting for another connection's lock.
  absl::Time deadline = absl::InfiniteFuture();
  // Returns true once the caller has given up, for example because the
  // server cancelled the call. Empty means never. Run() checks it while it
  // waits for its turn or for SQLite's lock, during long statements, and
  // before each commit.
  std::function<bool()> is_cancelled;
};

// An open tenant database. Thread-safe: calls through Run() take turns on
// the one connection, which also serializes the tenant's writers, so that
// SQLite never reports "database is locked" between them.
//
// A handle from WithLimits() shares the connection and its turns with the
// database it came from, and applies one call's CallLimits to its Run().
class TenantDatabase {
 public:
  // About how often Run() checks CallLimits::is_cancelled while it waits
  // for its turn or for SQLite's lock, or runs a long statement.
  static constexpr absl::Duration kCancelCheckInterval = absl::Milliseconds(50);

  // Opens the existing database of `tenant_id` at `path`. Returns NOT_FOUND
  // if the file is missing and FAILED_PRECONDITION if its schema is not at
  // the latest tenant migration.
  static absl::StatusOr<std::unique_ptr<TenantDatabase>> Open(
      std::string tenant_id, const std::string& path,
      const SqliteConnection::Options& options);

  TenantDatabase(const TenantDatabase&) = delete;
  TenantDatabase& operator=(const TenantDatabase&) = delete;

  const std::string& tenant_id() const { return state_->tenant_id; }

  // Whether the file at the path this database was opened from is still the
  // one it has open. False once another process removed or replaced the
  // file, for example `tenantctl purge` followed by `tenantctl restore`.
  bool IsFileAt() const;

  // Returns a handle to this database whose Run() stops at `limits`.
  TenantDatabase WithLimits(CallLimits limits) const {
    return TenantDatabase(state_, std::move(limits));
  }

  // Runs `body` with exclusive use of the connection and returns its
  // result. `body` takes a SqliteConnection& and returns absl::Status or
  // absl::StatusOr<T>.
  //
  // With CallLimits, returns DEADLINE_EXCEEDED or CANCELLED without
  // running `body` if the limit is reached before its turn comes. While
  // `body` runs, a statement that outlasts the limit is interrupted, a
  // commit after it is rolled back, and SQLite waits for another
  // connection's lock no longer than until the deadline. Run() then rolls
  // back what the body left uncommitted and returns DEADLINE_EXCEEDED or
  // CANCELLED in place of the result.
  template <typename Body>
  auto Run(Body&& body) -> decltype(body(std::declval<SqliteConnection&>())) {
    using Result = decltype(body(std::declval<SqliteConnection&>()));
    absl::Status turn = TakeTurn();
    if (!turn.ok()) return Result(std::move(turn));
    Turn guard(this);
    Result result = body(*state_->connection);
    absl::Status stopped = guard.Finish();
    if (!stopped.ok()) return Result(std::move(stopped));
    return result;
  }

  // Runs `body`, which writes, like Run(), but commits it together with the
  // writes of other calls that are waiting at the same time: one
  // transaction and one sync of the WAL for all of them (group commit).
  // Each body runs in its own savepoint, so a body that fails rolls back
  // only its own changes and returns only its own error. Returns only after
  // the commit. With CallLimits, a body whose limit is reached before it
  // runs does not run, and Write() returns DEADLINE_EXCEEDED or CANCELLED.
  template <typename Body>
  auto Write(Body&& body) -> decltype(body(std::declval<SqliteConnection&>())) {
    using Result = decltype(body(std::declval<SqliteConnection&>()));
    std::optional<Result> result;
    absl::Status status =
        WriteErased([&](SqliteConnection& connection) -> absl::Status {
          result.emplace(body(connection));
          return StatusOf(*result);
        });
    if (!status.ok()) return Result(std::move(status));
    return *std::move(result);
  }

  // Runs `body`, which only reads, on the write connection when it is idle
  // and no write waits, or else on one of up to kMaxReadConnections read
  // connections, opened on first use, so that reads never wait for writes.
  // In WAL mode a read sees every write committed before it starts. With
  // CallLimits, returns DEADLINE_EXCEEDED or CANCELLED instead of the
  // result if a limit is reached before `body` starts or by the time it
  // ends.
  template <typename Body>
  auto Read(Body&& body) -> decltype(body(std::declval<SqliteConnection&>())) {
    using Result = decltype(body(std::declval<SqliteConnection&>()));
    std::optional<Result> result;
    if (TryTakeIdleTurn()) {
      // The write connection is free and no write waits for it, so the
      // read saves opening a read connection.
      result.emplace(body(*state_->connection));
      EndTurn();
    } else {
      absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
          TakeReader();
      if (!connection.ok()) return Result(connection.status());
      result.emplace(body(**connection));
      ReturnReader(*std::move(connection));
    }
    absl::Status limit = CheckLimits(Stage::kReading);
    if (!limit.ok()) return Result(std::move(limit));
    return *std::move(result);
  }

  // Read connections of one tenant at most. Reads beyond that many wait,
  // so that a busy tenant keeps a bounded number of files and page caches.
  static constexpr size_t kMaxReadConnections = 4;

  // Writes that one group commit takes at most.
  static constexpr size_t kMaxGroupCommit = 64;

  // Returns how many Write() calls wait for their group commit.
  size_t QueuedWrites() const {
    absl::MutexLock lock(&state_->mutex);
    return state_->write_queue.size();
  }

 private:
  static absl::Status StatusOf(const absl::Status& status) { return status; }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }

  // One Write() waiting for its group commit.
  struct PendingWrite {
    std::function<absl::Status(SqliteConnection&)> work;
    const TenantDatabase* database;
    // Set by the leader of the group commit.
    absl::Status status;
    bool done = false;
  };

  absl::Status WriteErased(
      const std::function<absl::Status(SqliteConnection&)>& work) const;
  // Runs the writes of one group commit; called by its leader with the
  // connection's turn taken.
  void CommitGroup(const std::vector<PendingWrite*>& group) const;

  // Takes the turn on the write connection if no call has it and no write
  // waits; never waits.
  bool TryTakeIdleTurn() const;
  // Takes an idle read connection, opens one, or waits for one within the
  // limits.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> TakeReader() const;
  void ReturnReader(std::unique_ptr<SqliteConnection> reader) const;

  // The state that all handles of one database share.
  struct State {
    std::string tenant_id;
    // SQLite's busy timeout outside of limited calls, in milliseconds.
    int busy_timeout_ms = 0;
    absl::Mutex mutex;
    // False while a Run() has its turn on the connection.
    bool idle ABSL_GUARDED_BY(mutex) = true;
    // Used only by the Run() that has the turn.
    std::unique_ptr<SqliteConnection> connection;
    // Write() calls waiting for a group commit, oldest first.
    std::deque<PendingWrite*> write_queue ABSL_GUARDED_BY(mutex);

    // The database file and the options of `connection`, for opening
    // read connections.
    std::string path;
    SqliteConnection::Options options;
    // The device and inode of `path` when it was opened; see IsFileAt().
    dev_t device = 0;
    ino_t inode = 0;
    absl::Mutex read_mutex;
    // Read connections that no Read() uses; Read() opens one when none is
    // idle and fewer than kMaxReadConnections are open.
    std::vector<std::unique_ptr<SqliteConnection>> idle_readers
        ABSL_GUARDED_BY(read_mutex);
    size_t open_readers ABSL_GUARDED_BY(read_mutex) = 0;
  };

  // One Run()'s use of the connection. Installs the SQLite hooks that
  // enforce the limits while the body runs. On destruction removes them
  // and passes the turn on.
  class Turn {
   public:
    // Unless `ends_turn` is false, the destructor passes the turn on.
    explicit Turn(const TenantDatabase* database, bool ends_turn = true);
    ~Turn();
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

    // Removes the hooks. Returns DEADLINE_EXCEEDED or CANCELLED if one of
    // them stopped the body's work, after rolling back a transaction that
    // the body left open, else OK.
    absl::Status Finish();

   private:
    // SQLite's busy handler, commit hook and progress handler; `turn` is
    // the Turn.
    static int OnBusy(void* turn, int attempts);
    static int OnCommit(void* turn);
    static int OnProgress(void* turn);

    void RemoveHooks();

    const TenantDatabase* const database_;
    const bool ends_turn_;
    bool hooks_installed_ = false;
    // Set by the hook that stopped the body's work.
    absl::Status stopped_;
    // When SQLite started to wait for the lock it is waiting for.
    absl::Time busy_since_;
    // When the progress handler last called CallLimits::is_cancelled.
    absl::Time last_cancel_check_;
  };

  TenantDatabase(std::shared_ptr<State> state, CallLimits limits)
      : state_(std::move(state)), limits_(std::move(limits)) {}

  bool limited() const {
    return limits_.deadline != absl::InfiniteFuture() ||
           limits_.is_cancelled != nullptr;
  }

  // The stage of a call that reaches a limit.
  enum class Stage { kWaiting, kWorking, kReading };

  // Returns CANCELLED or DEADLINE_EXCEEDED if a limit is reached, with a
  // message for `stage`, and OK otherwise.
  absl::Status CheckLimits(Stage stage) const;

  // Waits for this handle's turn on the connection within the limits.
  absl::Status TakeTurn() const;
  // Waits under `mutex` until `ready` holds, within the limits.
  absl::Status AwaitWithinLimits(absl::Mutex& mutex,
                                 const absl::Condition& ready) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex);

  void EndTurn() const;

  const std::shared_ptr<State> state_;
  const CallLimits limits_;
};

// Process-wide counts of the group commits of all tenant databases, for
// monitoring.
struct GroupCommitStats {
  // Upper bounds of the size buckets: group commits of 1 write, 2 writes,
  // 3 to 4 writes, and so on up to TenantDatabase::kMaxGroupCommit.
  static constexpr std::array<int64_t, 7> kSizeBounds = {1,  2,  4, 8,
                                                         16, 32, 64};
  // Group commits per size bucket, not cumulative.
  std::array<int64_t, kSizeBounds.size()> commits_by_size{};
  // Writes taken by all group commits, including writes that then did
  // not run because their deadline had passed.
  int64_t writes = 0;
  // Write() calls that wait for a group commit now.
  int64_t queued_writes = 0;
};

// Reads the counts of group commits since the process started.
GroupCommitStats GetGroupCommitStats();

struct DatabaseHealth {
  // The highest applied tenant migration.
  int64_t schema_version = 0;
  // The output of PRAGMA quick_check: "ok" for a healthy database.
  std::string quick_check;
};

// Runs a check pragma such as `quick_check` or `integrity_check` and
// returns its lines: just "ok" for a sound database.
absl::StatusOr<std::vector<std::string>> RunCheckPragma(
    SqliteConnection& connection, absl::string_view pragma);

// Runs PRAGMA quick_check and reads the schema version.
absl::StatusOr<DatabaseHealth> CheckDatabaseHealth(TenantDatabase& database);

// Creates the directory `path` unless it exists; its parent must exist.
// Returns INTERNAL if `path` cannot be created or is not a directory.
absl::Status CreateDirectory(const std::string& path);

// Returns `<data_dir>/tenants/<tenant_id>.db`. `tenant_id` must have passed
// ValidateTenantId.
std::string TenantDatabasePath(absl::string_view data_dir,
                               absl::string_view tenant_id);

// Creates the tenant's database, fully migrated, at TenantDatabasePath.
// The file is built under a temporary name and renamed into place, so the
// path has either nothing or a complete database. An older file at the
// path is replaced. Returns the migration error, or INTERNAL if the
// directory cannot be written.
absl::Status CreateTenantDatabaseFile(absl::string_view data_dir,
                                      absl::string_view tenant_id);

// Removes the tenant's database and its -wal and -shm files. Missing files
// are not an error. Returns INTERNAL naming the file that could not be
// removed.
absl::Status RemoveTenantDatabaseFiles(absl::string_view data_dir,
                                       absl::string_view tenant_id);

// Applies the pending `migrations` to the existing database at `path` in
// one transaction, so that a failure leaves it at its previous version.
absl::StatusOr<MigrationOutcome> MigrateTenantDatabaseFile(
    const std::string& path, const std::vector<Migration>& migrations);

// Reports the versions of the database at `path` against `migrations`.
absl::StatusOr<MigrationStatus> GetTenantMigrationStatus(
    const std::string& path, const std::vector<Migration>& migrations);

// Returns the highest applied migration version of the database at `path`,
// without checking checksums.
absl::StatusOr<int64_t> GetTenantAppliedVersion(const std::string& path);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_DATABASE_H_
