// Group commit in TenantDatabase::Write(): writes that wait together share
// one transaction, and a failing write fails only its own call.

#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::TempDir;

constexpr int kWriters = 10;
constexpr int kFailingWriter = 3;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateTenantDatabaseFile(directory_.path(), "acme").ok());
    auto database = TenantDatabase::Open(
        "acme", TenantDatabasePath(directory_.path(), "acme"), {});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    ASSERT_TRUE(database_
                    ->Run([](SqliteConnection& connection) {
                      return connection.ExecuteScript(
                          "CREATE TABLE notes (id INTEGER PRIMARY KEY, "
                          "body TEXT NOT NULL)");
                    })
                    .ok());
  }

  // Inserts note `id`; the failing writer inserts and then fails, so its
  // row must be rolled back.
  absl::Status WriteNote(int id) {
    return database_->Write([id](SqliteConnection& connection) {
      absl::Status inserted = connection.ExecuteScript(
          absl::StrCat("INSERT INTO notes (id, body) VALUES (", id, ", 'n')"));
      if (!inserted.ok()) return inserted;
      if (id == kFailingWriter) {
        return absl::FailedPreconditionError("writer 3 fails on purpose");
      }
      return absl::OkStatus();
    });
  }

  std::vector<int> NoteIds() {
    std::vector<int> ids;
    absl::Status read = database_->Read([&](SqliteConnection& connection) {
      auto statement = connection.Prepare("SELECT id FROM notes ORDER BY id");
      if (!statement.ok()) return statement.status();
      StatementLease query(*statement);
      while (true) {
        absl::StatusOr<bool> row = query->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        ids.push_back(static_cast<int>(query->ColumnInt(0)));
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return ids;
  }

  TempDir directory_;
  std::unique_ptr<TenantDatabase> database_;
};

int CountCommit(void* commits) {
  ++*static_cast<std::atomic<int>*>(commits);
  return 0;
}

TEST_F(GroupCommitTest, WaitingWritesShareOneCommit) {
  std::atomic<int> commits{0};
  absl::Notification release;
  absl::Notification holding;
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  // Holding the connection's turn makes every writer queue up.
  std::thread holder([&] {
    ASSERT_TRUE(database_
                    ->Run([&](SqliteConnection& connection) {
                      sqlite3_commit_hook(connection.handle(), &CountCommit,
                                          &commits);
                      holding.Notify();
                      release.WaitForNotificationWithTimeout(absl::Seconds(10));
                      return absl::OkStatus();
                    })
                    .ok());
  });
  holding.WaitForNotification();
  for (int id = 0; id < kWriters; ++id) {
    writers.emplace_back([&, id] { results[id] = WriteNote(id); });
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (database_->QueuedWrites() < kWriters && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const size_t queued = database_->QueuedWrites();
  release.Notify();
  holder.join();
  for (std::thread& writer : writers) writer.join();

  ASSERT_EQ(queued, kWriters);
  EXPECT_EQ(commits.load(), 1);
  for (int id = 0; id < kWriters; ++id) {
    if (id == kFailingWriter) {
      EXPECT_EQ(results[id].code(), absl::StatusCode::kFailedPrecondition)
          << results[id];
    } else {
      EXPECT_TRUE(results[id].ok()) << "writer " << id << ": " << results[id];
    }
  }
  std::vector<int> expected;
  for (int id = 0; id < kWriters; ++id) {
    if (id != kFailingWriter) expected.push_back(id);
  }
  EXPECT_EQ(NoteIds(), expected);
}

TEST_F(GroupCommitTest, ExpiredWaitingWriteDoesNotRun) {
  absl::Notification release;
  absl::Notification holding;
  std::thread holder([&] {
    ASSERT_TRUE(database_
                    ->Run([&](SqliteConnection&) {
                      holding.Notify();
                      release.WaitForNotificationWithTimeout(absl::Seconds(10));
                      return absl::OkStatus();
                    })
                    .ok());
  });
  holding.WaitForNotification();
  CallLimits limits;
  limits.deadline = absl::Now() + absl::Milliseconds(100);
  TenantDatabase limited = database_->WithLimits(limits);
  absl::Status expired = limited.Write([](SqliteConnection& connection) {
    return connection.ExecuteScript(
        "INSERT INTO notes (id, body) VALUES (1, 'late')");
  });
  release.Notify();
  holder.join();

  EXPECT_EQ(expired.code(), absl::StatusCode::kDeadlineExceeded) << expired;
  EXPECT_EQ(database_->QueuedWrites(), 0u);
  EXPECT_TRUE(NoteIds().empty());
}

TEST_F(GroupCommitTest, WriteExpiredDuringGroupDoesNotCommit) {
  absl::Notification release;
  absl::Notification holding;
  std::thread holder([&] {
    ASSERT_TRUE(database_
                    ->Run([&](SqliteConnection&) {
                      holding.Notify();
                      release.WaitForNotificationWithTimeout(absl::Seconds(10));
                      return absl::OkStatus();
                    })
                    .ok());
  });
  holding.WaitForNotification();
  // The first write is quick but its deadline passes while the second,
  // slow one runs in the same group.
  absl::Status quick_status;
  std::thread quick([&] {
    CallLimits limits;
    limits.deadline = absl::Now() + absl::Milliseconds(500);
    quick_status =
        database_->WithLimits(limits).Write([](SqliteConnection& connection) {
          return connection.ExecuteScript(
              "INSERT INTO notes (id, body) VALUES (1, 'quick')");
        });
  });
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (database_->QueuedWrites() < 1 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  absl::Status slow_status;
  std::thread slow([&] {
    slow_status = database_->Write([](SqliteConnection& connection) {
      absl::SleepFor(absl::Milliseconds(800));
      return connection.ExecuteScript(
          "INSERT INTO notes (id, body) VALUES (2, 'slow')");
    });
  });
  while (database_->QueuedWrites() < 2 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  const size_t queued = database_->QueuedWrites();
  release.Notify();
  holder.join();
  quick.join();
  slow.join();

  ASSERT_EQ(queued, 2u);
  EXPECT_EQ(quick_status.code(), absl::StatusCode::kDeadlineExceeded)
      << quick_status;
  EXPECT_TRUE(slow_status.ok()) << slow_status;
  EXPECT_EQ(NoteIds(), std::vector<int>({2}));
}

TEST_F(GroupCommitTest, ReadDoesNotWaitForWriteTurn) {
  ASSERT_TRUE(WriteNote(7).ok());
  absl::Notification release;
  absl::Notification holding;
  std::thread holder([&] {
    ASSERT_TRUE(database_
                    ->Run([&](SqliteConnection&) {
                      holding.Notify();
                      release.WaitForNotificationWithTimeout(absl::Seconds(10));
                      return absl::OkStatus();
                    })
                    .ok());
  });
  holding.WaitForNotification();

  // The read uses its own connection, so it finishes while the write
  // connection is taken.
  std::vector<int> ids = NoteIds();
  const bool still_holding = !release.HasBeenNotified();
  release.Notify();
  holder.join();

  EXPECT_TRUE(still_holding);
  EXPECT_EQ(ids, std::vector<int>({7}));
}

TEST_F(GroupCommitTest, ReadConnectionRejectsWrites) {
  absl::Notification release;
  absl::Notification holding;
  std::thread holder([&] {
    ASSERT_TRUE(database_
                    ->Run([&](SqliteConnection&) {
                      holding.Notify();
                      release.WaitForNotificationWithTimeout(absl::Seconds(10));
                      return absl::OkStatus();
                    })
                    .ok());
  });
  holding.WaitForNotification();

  // With the write connection taken, the read gets a query-only one.
  absl::Status written = database_->Read([](SqliteConnection& connection) {
    return connection.ExecuteScript(
        "INSERT INTO notes (id, body) VALUES (1, 'x')");
  });
  release.Notify();
  holder.join();

  EXPECT_FALSE(written.ok());
  EXPECT_TRUE(NoteIds().empty());
}

}  // namespace
}  // namespace tenantry::storage
