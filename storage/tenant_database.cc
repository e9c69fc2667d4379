#include "storage/tenant_database.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "storage/file_operations.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
absl::Status CreateDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("create directory", path);
  }
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return ErrnoError("create directory", path);
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::InternalError(absl::StrCat(
        "failed to create directory ", path,
        " because a file that is not a directory has that name; move it "
        "away"));
  }
  return absl::OkStatus();
}

namespace {

std::string TenantDirectory(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/tenants");
}

}  // namespace

namespace {

// The highest tenant migration version compiled into this binary.
int64_t LatestTenantVersion() {
  static const int64_t latest = [] {
    int64_t version = 0;
    for (const Migration& migration : TenantMigrations()) {
      version = std::max(version, migration.version);
    }
    return version;
  }();
  return latest;
}

// Returns whether PRAGMA user_version, which each migration sets, is the
// latest tenant version. Reading it costs no schema parse.
absl::StatusOr<bool> HasLatestUserVersion(SqliteConnection& connection) {
  TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                            connection.Prepare("PRAGMA user_version"));
  StatementLease query(statement);
  TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
  return has_row && query->ColumnInt(0) == LatestTenantVersion();
}

// Checks the migration history, for a database whose user_version is not
// the latest: one made before migrations set it, or one that is behind.
absl::Status CheckSchema(SqliteConnection& connection,
                         absl::string_view tenant_id) {
  SqliteMigrationBackend backend(&connection);
  TENANTRY_ASSIGN_OR_RETURN(const MigrationStatus status,
                            CheckMigrations(backend, TenantMigrations()));
  if (status.current_version != status.latest_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database of tenant \"", tenant_id, "\" is at schema version ",
        status.current_version, " but this server needs version ",
        status.latest_version, "; run tenantctl migrate tenants --tenant=",
        tenant_id, " with this server's --data_dir and --shared_db"));
  }
  // Current by its history: record that in the header for the next open.
  return connection.ExecuteScript(
      absl::StrCat("PRAGMA user_version = ", status.latest_version));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TenantDatabase>> TenantDatabase::Open(
    std::string tenant_id, const std::string& path,
    const SqliteConnection::Options& options) {
  TENANTRY_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                            SqliteConnection::Open(path, options));
  TENANTRY_ASSIGN_OR_RETURN(const bool current,
                            HasLatestUserVersion(*connection));
  if (!current) TENANTRY_RETURN_IF_ERROR(CheckSchema(*connection, tenant_id));
  auto state = std::make_shared<State>();
  state->tenant_id = std::move(tenant_id);
  state->busy_timeout_ms = options.busy_timeout_ms;
  state->connection = std::move(connection);
  state->path = path;
  state->options = options;
  // The file was opened just before, so a stat error leaves the identity
  // unset and IsFileAt() false: the next check reopens the file.
  struct stat file_status;
  if (stat(path.c_str(), &file_status) == 0) {
    state->device = file_status.st_dev;
    state->inode = file_status.st_ino;
  }
  return std::unique_ptr<TenantDatabase>(
      new TenantDatabase(std::move(state), CallLimits()));
}

bool TenantDatabase::IsFileAt() const {
  struct stat file_status;
  if (stat(state_->path.c_str(), &file_status) != 0) return false;
  return state_->inode != 0 && file_status.st_dev == state_->device &&
         file_status.st_ino == state_->inode;
}

absl::Status TenantDatabase::CheckLimits(Stage stage) const {
  const bool cancelled =
      limits_.is_cancelled != nullptr && limits_.is_cancelled();
  if (!cancelled && absl::Now() < limits_.deadline) return absl::OkStatus();
  absl::string_view during = " while it used the database of tenant \"";
  absl::string_view outcome = "\"; its uncommitted changes were rolled back";
  if (stage == Stage::kWaiting) {
    during = " while it waited for its turn on the database of tenant \"";
    outcome = "\"; it changed nothing";
  } else if (stage == Stage::kReading) {
    during = " while it read the database of tenant \"";
    outcome = "\"; a read changes nothing";
  }
  const std::string message = absl::StrCat(
      cancelled ? "the call was cancelled" : "the call's deadline passed",
      during, tenant_id(), outcome);
  return cancelled ? absl::CancelledError(message)
                   : absl::DeadlineExceededError(message);
}

absl::Status TenantDatabase::TakeTurn() const {
  State& state = *state_;
  const absl::Condition idle(&state.idle);
  if (!limited()) {
    absl::MutexLock lock(&state.mutex);
    state.mutex.Await(idle);
    state.idle = false;
    return absl::OkStatus();
  }

  // The mutex guards only the flag, so waiting for the mutex itself is
  // short. The wait for the flag wakes every kCancelCheckInterval to check
  // for cancellation, which no unlock of the mutex signals.
  while (true) {
    TENANTRY_RETURN_IF_ERROR(CheckLimits(Stage::kWaiting));
    absl::Time wake = limits_.deadline;
    if (limits_.is_cancelled != nullptr) {
      wake = std::min(wake, absl::Now() + kCancelCheckInterval);
    }
    absl::MutexLock lock(&state.mutex);
    if (state.mutex.AwaitWithDeadline(idle, wake)) {
      state.idle = false;
      break;
    }
  }
  // The turn may come just as the deadline passes.
  absl::Status status = CheckLimits(Stage::kWaiting);
  if (!status.ok()) EndTurn();
  return status;
}

void TenantDatabase::EndTurn() const {
  absl::MutexLock lock(&state_->mutex);
  state_->idle = true;
}

namespace {

// How many SQLite virtual machine instructions run between two calls of
// the progress handler, which reads the clock to check the deadline.
constexpr int kProgressInstructions = 1000;

// The maximum sleep of the busy handler between two attempts to take
// another connection's lock.
constexpr absl::Duration kMaxBusySleep = absl::Milliseconds(20);

}  // namespace

absl::Status TenantDatabase::AwaitWithinLimits(
    absl::Mutex& mutex, const absl::Condition& ready) const {
  if (!limited()) {
    mutex.Await(ready);
    return absl::OkStatus();
  }
  // Like TakeTurn(): wake every kCancelCheckInterval to check for
  // cancellation.
  while (true) {
    TENANTRY_RETURN_IF_ERROR(CheckLimits(Stage::kWaiting));
    absl::Time wake = limits_.deadline;
    if (limits_.is_cancelled != nullptr) {
      wake = std::min(wake, absl::Now() + kCancelCheckInterval);
    }
    if (mutex.AwaitWithDeadline(ready, wake)) return absl::OkStatus();
  }
}

namespace {

// The counts behind GetGroupCommitStats(). Relaxed atomics: they are only
// read for monitoring, and each update costs a few nanoseconds next to a
// commit.
std::array<std::atomic<int64_t>, GroupCommitStats::kSizeBounds.size()>
    group_commits_by_size;
std::atomic<int64_t> group_commit_writes{0};
std::atomic<int64_t> queued_writes{0};

void CountGroupCommit(size_t writes) {
  const auto& bounds = GroupCommitStats::kSizeBounds;
  const size_t bucket = std::lower_bound(bounds.begin(), bounds.end(),
                                         static_cast<int64_t>(writes)) -
                        bounds.begin();
  group_commits_by_size[std::min(bucket, bounds.size() - 1)].fetch_add(
      1, std::memory_order_relaxed);
  group_commit_writes.fetch_add(static_cast<int64_t>(writes),
                                std::memory_order_relaxed);
}

}  // namespace

GroupCommitStats GetGroupCommitStats() {
  GroupCommitStats stats;
  for (size_t i = 0; i < stats.commits_by_size.size(); ++i) {
    stats.commits_by_size[i] =
        group_commits_by_size[i].load(std::memory_order_relaxed);
  }
  stats.writes = group_commit_writes.load(std::memory_order_relaxed);
  stats.queued_writes = queued_writes.load(std::memory_order_relaxed);
  return stats;
}

absl::Status TenantDatabase::WriteErased(
    const std::function<absl::Status(SqliteConnection&)>& work) const {
  State& state = *state_;
  PendingWrite pending{work, this};
  std::vector<PendingWrite*> group;
  {
    absl::MutexLock lock(&state.mutex);
    state.write_queue.push_back(&pending);
    queued_writes.fetch_add(1, std::memory_order_relaxed);
    // The oldest waiting write leads the next group commit once the
    // connection is free; the others wait until a leader has run them.
    const auto done_or_leads = [&state, &pending]() {
      state.mutex.AssertHeld();
      return pending.done ||
             (state.idle && state.write_queue.front() == &pending);
    };
    absl::Status waited =
        AwaitWithinLimits(state.mutex, absl::Condition(&done_or_leads));
    if (pending.done) return pending.status;
    if (!waited.ok()) {
      auto queued = std::find(state.write_queue.begin(),
                              state.write_queue.end(), &pending);
      if (queued != state.write_queue.end()) {
        state.write_queue.erase(queued);
        queued_writes.fetch_sub(1, std::memory_order_relaxed);
        return waited;
      }
      // A leader has taken this write and holds a pointer to `pending`, so
      // wait for its commit; CommitGroup checks the limits before it runs
      // the write.
      state.mutex.Await(absl::Condition(&pending.done));
      return pending.status;
    }
    state.idle = false;
    while (!state.write_queue.empty() && group.size() < kMaxGroupCommit) {
      group.push_back(state.write_queue.front());
      state.write_queue.pop_front();
    }
    queued_writes.fetch_sub(static_cast<int64_t>(group.size()),
                            std::memory_order_relaxed);
    CountGroupCommit(group.size());
  }
  CommitGroup(group);
  absl::MutexLock lock(&state.mutex);
  for (PendingWrite* write : group) write->done = true;
  state.idle = true;
  return pending.status;
}

void TenantDatabase::CommitGroup(
    const std::vector<PendingWrite*>& group) const {
  SqliteConnection& connection = *state_->connection;
  if (group.size() == 1) {
    // Alone, the write gets everything Run() gives: its limits also stop a
    // long statement, a wait for another process's lock, and its commit.
    PendingWrite& write = *group.front();
    write.status = write.database->CheckLimits(Stage::kWaiting);
    if (!write.status.ok()) return;
    Turn guard(write.database, /*ends_turn=*/false);
    absl::Status status = write.work(connection);
    absl::Status stopped = guard.Finish();
    write.status = stopped.ok() ? std::move(status) : std::move(stopped);
    return;
  }

  // While another process holds SQLite's lock, wait like the busy timeout
  // would, but stop once every write of the group has reached its limit.
  struct GroupWait {
    const std::vector<PendingWrite*>* group;
    absl::Time give_up;
  } wait{&group, absl::Now() + absl::Milliseconds(state_->busy_timeout_ms)};
  sqlite3_busy_handler(
      connection.handle(),
      [](void* wait_pointer, int attempts) -> int {
        const GroupWait& wait = *static_cast<GroupWait*>(wait_pointer);
        const bool any_within_limits = std::any_of(
            wait.group->begin(), wait.group->end(), [](PendingWrite* write) {
              return write->database->CheckLimits(Stage::kWaiting).ok();
            });
        const absl::Time now = absl::Now();
        if (!any_within_limits || now >= wait.give_up) return 0;
        const absl::Duration backoff =
            std::min(absl::Milliseconds(1) * (1 << std::min(attempts, 5)),
                     kMaxBusySleep);
        absl::SleepFor(
            std::min({backoff, wait.give_up - now, kCancelCheckInterval}));
        return 1;
      },
      &wait);
  absl::Status begun = connection.ExecuteScript("BEGIN IMMEDIATE");
  sqlite3_busy_timeout(connection.handle(), state_->busy_timeout_ms);
  if (!begun.ok()) {
    for (PendingWrite* write : group) write->status = begun;
    return;
  }
  // The writes run in turn, so a write may reach its limit while later
  // ones run. A write that reached it must not commit: the transaction is
  // rolled back and run again without it. Each round drops at least one
  // write, so there are at most as many rounds as writes.
  std::vector<PendingWrite*> remaining = group;
  std::vector<PendingWrite*> written;
  while (true) {
    written.clear();
    for (PendingWrite* write : remaining) {
      write->status = write->database->CheckLimits(Stage::kWaiting);
      if (!write->status.ok()) continue;
      // Inside the open transaction this is a savepoint of its own.
      write->status = connection.InTransaction(
          [&connection, write] { return write->work(connection); });
      if (write->status.ok()) written.push_back(write);
    }
    std::vector<PendingWrite*> expired;
    for (PendingWrite* write : written) {
      absl::Status limit = write->database->CheckLimits(Stage::kWorking);
      if (!limit.ok()) {
        write->status = std::move(limit);
        expired.push_back(write);
      }
    }
    if (expired.empty()) break;
    connection.ExecuteScript("ROLLBACK").IgnoreError();
    std::vector<PendingWrite*> next;
    for (PendingWrite* write : written) {
      if (write->status.ok()) next.push_back(write);
    }
    remaining = std::move(next);
    if (remaining.empty()) return;
    absl::Status begun_again = connection.ExecuteScript("BEGIN IMMEDIATE");
    if (!begun_again.ok()) {
      for (PendingWrite* write : remaining) write->status = begun_again;
      return;
    }
  }
  absl::Status committed = connection.ExecuteScript("COMMIT");
  if (!committed.ok()) {
    if (!sqlite3_get_autocommit(connection.handle())) {
      connection.ExecuteScript("ROLLBACK").IgnoreError();
    }
    for (PendingWrite* write : written) write->status = committed;
  }
}

bool TenantDatabase::TryTakeIdleTurn() const {
  absl::MutexLock lock(&state_->mutex);
  if (!state_->idle || !state_->write_queue.empty()) return false;
  state_->idle = false;
  return true;
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> TenantDatabase::TakeReader()
    const {
  State& state = *state_;
  absl::MutexLock lock(&state.read_mutex);
  const auto reader_available = [&state]() {
    state.read_mutex.AssertHeld();
    return !state.idle_readers.empty() ||
           state.open_readers < kMaxReadConnections;
  };
  TENANTRY_RETURN_IF_ERROR(
      AwaitWithinLimits(state.read_mutex, absl::Condition(&reader_available)));
  if (!state.idle_readers.empty()) {
    std::unique_ptr<SqliteConnection> reader =
        std::move(state.idle_readers.back());
    state.idle_readers.pop_back();
    return reader;
  }
  SqliteConnection::Options options = state.options;
  options.create_if_missing = false;
  options.query_only = true;
  TENANTRY_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader,
                            SqliteConnection::Open(state.path, options));
  ++state.open_readers;
  return reader;
}

void TenantDatabase::ReturnReader(
    std::unique_ptr<SqliteConnection> reader) const {
  absl::MutexLock lock(&state_->read_mutex);
  state_->idle_readers.push_back(std::move(reader));
}

TenantDatabase::Turn::Turn(const TenantDatabase* database, bool ends_turn)
    : database_(database), ends_turn_(ends_turn) {
  if (!database_->limited()) return;
  sqlite3* db = database_->state_->connection->handle();
  // Replaces the busy timeout that SqliteConnection::Open set.
  sqlite3_busy_handler(db, &Turn::OnBusy, this);
  sqlite3_commit_hook(db, &Turn::OnCommit, this);
  sqlite3_progress_handler(db, kProgressInstructions, &Turn::OnProgress, this);
  last_cancel_check_ = absl::Now();
  hooks_installed_ = true;
}

TenantDatabase::Turn::~Turn() {
  RemoveHooks();
  if (ends_turn_) database_->EndTurn();
}

absl::Status TenantDatabase::Turn::Finish() {
  RemoveHooks();
  sqlite3* db = database_->state_->connection->handle();
  if (!stopped_.ok() && !sqlite3_get_autocommit(db)) {
    // SQLite rolls back the transaction of an interrupted INSERT, UPDATE
    // or DELETE but may leave others open, and the next Run() must not
    // commit this call's changes. ROLLBACK fails only without a
    // transaction, which the check above rules out.
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return stopped_;
}

void TenantDatabase::Turn::RemoveHooks() {
  if (!hooks_installed_) return;
  sqlite3* db = database_->state_->connection->handle();
  sqlite3_progress_handler(db, 0, nullptr, nullptr);
  sqlite3_commit_hook(db, nullptr, nullptr);
  sqlite3_busy_timeout(db, database_->state_->busy_timeout_ms);
  hooks_installed_ = false;
}

int TenantDatabase::Turn::OnBusy(void* turn_pointer, int attempts) {
  Turn& turn = *static_cast<Turn*>(turn_pointer);
  const absl::Time now = absl::Now();
  if (attempts == 0) turn.busy_since_ = now;
  absl::Status limit = turn.database_->CheckLimits(Stage::kWorking);
  if (!limit.ok()) {
    turn.stopped_ = std::move(limit);
    return 0;
  }
  // Give up like sqlite3_busy_timeout would, or at the deadline if that
  // comes first. Returning 0 makes the statement fail with SQLITE_BUSY.
  const absl::Time give_up =
      std::min(turn.busy_since_ +
                   absl::Milliseconds(turn.database_->state_->busy_timeout_ms),
               turn.database_->limits_.deadline);
  if (now >= give_up) return 0;
  const absl::Duration backoff = std::min(
      absl::Milliseconds(1) * (1 << std::min(attempts, 5)), kMaxBusySleep);
  absl::SleepFor(std::min({backoff, give_up - now, kCancelCheckInterval}));
  return 1;
}

int TenantDatabase::Turn::OnCommit(void* turn_pointer) {
  Turn& turn = *static_cast<Turn*>(turn_pointer);
  absl::Status limit = turn.database_->CheckLimits(Stage::kWorking);
  if (limit.ok()) return 0;
  // A nonzero result turns the COMMIT into a ROLLBACK.
  turn.stopped_ = std::move(limit);
  return 1;
}

int TenantDatabase::Turn::OnProgress(void* turn_pointer) {
  Turn& turn = *static_cast<Turn*>(turn_pointer);
  const CallLimits& limits = turn.database_->limits_;
  const absl::Time now = absl::Now();
  // CallLimits::is_cancelled may cost more than a clock read, so it runs
  // at most every kCancelCheckInterval.
  const bool check_cancel =
      limits.is_cancelled != nullptr &&
      now - turn.last_cancel_check_ >= kCancelCheckInterval;
  if (now < limits.deadline && !check_cancel) return 0;
  if (check_cancel) turn.last_cancel_check_ = now;
  absl::Status limit = turn.database_->CheckLimits(Stage::kWorking);
  if (limit.ok()) return 0;
  // A nonzero result interrupts the statement with SQLITE_INTERRUPT.
  turn.stopped_ = std::move(limit);
  return 1;
}

absl::StatusOr<std::vector<std::string>> RunCheckPragma(
    SqliteConnection& connection, absl::string_view pragma) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(absl::StrCat("PRAGMA ", pragma)));
  StatementLease check(statement);
  std::vector<std::string> lines;
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(const bool has_row, check->Step());
    if (!has_row) break;
    lines.push_back(check->ColumnText(0));
  }
  return lines;
}

absl::StatusOr<DatabaseHealth> CheckDatabaseHealth(TenantDatabase& database) {
  return database.Run(
      [](SqliteConnection& connection) -> absl::StatusOr<DatabaseHealth> {
        DatabaseHealth health;
        SqliteMigrationBackend backend(&connection);
        TENANTRY_ASSIGN_OR_RETURN(const MigrationStatus status,
                                  CheckMigrations(backend, TenantMigrations()));
        health.schema_version = status.current_version;
        TENANTRY_ASSIGN_OR_RETURN(const std::vector<std::string> lines,
                                  RunCheckPragma(connection, "quick_check"));
        health.quick_check = absl::StrJoin(lines, "\n");
        return health;
      });
}

std::string TenantDatabasePath(absl::string_view data_dir,
                               absl::string_view tenant_id) {
  return absl::StrCat(TenantDirectory(data_dir), "/", tenant_id, ".db");
}

absl::Status CreateTenantDatabaseFile(absl::string_view data_dir,
                                      absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  const std::string directory = TenantDirectory(data_dir);
  TENANTRY_RETURN_IF_ERROR(CreateDirectory(std::string(data_dir)));
  TENANTRY_RETURN_IF_ERROR(CreateDirectory(directory));
  const std::string path = TenantDatabasePath(data_dir, tenant_id);
  // The random part keeps two creators of one id from sharing a file.
  const std::string temporary_path =
      absl::StrCat(path, ".creating-", NewResourceId());

  absl::Status status = [&]() -> absl::Status {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    TENANTRY_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                              SqliteConnection::Open(temporary_path, options));
    SqliteMigrationBackend backend(connection.get());
    TENANTRY_RETURN_IF_ERROR(
        ApplyMigrations(backend, TenantMigrations()).status());
    // Closing the last connection checkpoints the WAL into the main file
    // and deletes the -wal and -shm files, so one rename moves everything.
    connection.reset();
    // A -wal file left by an earlier database at this path would be
    // replayed into the new one.
    for (const char* suffix : {"-wal", "-shm"}) {
      TENANTRY_RETURN_IF_ERROR(RemoveIfPresent(path + suffix));
    }
    if (rename(temporary_path.c_str(), path.c_str()) != 0) {
      return ErrnoError("rename a new database to", path);
    }
    return SyncDirectory(directory);
  }();
  if (!status.ok()) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      RemoveIfPresent(temporary_path + suffix).IgnoreError();
    }
  }
  return status;
}

absl::Status RemoveTenantDatabaseFiles(absl::string_view data_dir,
                                       absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  const std::string path = TenantDatabasePath(data_dir, tenant_id);
  // The main file goes first: without it, leftover -wal and -shm files are
  // ignored and a later create replaces them.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    TENANTRY_RETURN_IF_ERROR(RemoveIfPresent(path + suffix));
  }
  return SyncDirectory(TenantDirectory(data_dir));
}

absl::StatusOr<MigrationOutcome> MigrateTenantDatabaseFile(
    const std::string& path, const std::vector<Migration>& migrations) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> connection,
      SqliteConnection::Open(path, SqliteConnection::Options()));
  SqliteMigrationBackend backend(connection.get());
  return ApplyMigrations(backend, migrations, MigrationAtomicity::kAllPending);
}

absl::StatusOr<MigrationStatus> GetTenantMigrationStatus(
    const std::string& path, const std::vector<Migration>& migrations) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> connection,
      SqliteConnection::Open(path, SqliteConnection::Options()));
  SqliteMigrationBackend backend(connection.get());
  return CheckMigrations(backend, migrations);
}

absl::StatusOr<int64_t> GetTenantAppliedVersion(const std::string& path) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> connection,
      SqliteConnection::Open(path, SqliteConnection::Options()));
  SqliteMigrationBackend backend(connection.get());
  return AppliedVersion(backend);
}

}  // namespace tenantry::storage
