// Group commit on SQLite: a call's transaction inside a group is a savepoint whose failure undoes only itself, and
// writes that queue up behind a busy writer commit together, each one durable and answered.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/sqlite/sqlite_repository.hpp"
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kNow = from_unix_ms(1'700'000'000'000);
const Bytes kCodeHash(32, 2);

// A send of a new code to the i-th test number, counted in `buckets` limit buckets of random names (so that its
// events land all over the limit tables, as a real send's number and address buckets do).
IssueCodeRequest send_request(int i, int buckets = 0) {
  IssueCodeRequest request;
  for (int b = 0; b < buckets; ++b) {
    request.limits.push_back({"test_limit", "test:" + random_uuid(), 100, std::chrono::hours(1)});
  }
  request.phone_number = "+7700" + std::to_string(1000000 + i);
  request.now = kNow;
  request.new_seed = random_bytes(16);
  request.new_code_hash = kCodeHash;
  request.new_expires_at = kNow + minutes(5);
  request.max_attempts = 5;
  request.reservation_id = random_uuid();
  return request;
}

// SQLite's temporary files (a spilled savepoint journal among them) are unlinked as soon as they are created: they
// show only as this process's open descriptors on a deleted "etilqs_" file.
int open_sqlite_temporary_files() {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ignored;
    const auto target = std::filesystem::read_symlink(entry.path(), ignored).string();
    if (target.find("etilqs_") != std::string::npos) ++found;
  }
  return found;
}

awaitable<bool> issued(StorageEngine* storage, IssueCodeRequest request) {
  auto issuing = storage->issue_code(std::move(request));
  const auto outcome = co_await std::move(issuing);
  co_return static_cast<bool>(outcome);
}

class SqliteGroupCommitTest : public ::testing::Test {
 protected:
  SqliteGroupCommitTest()
      : directory_(std::filesystem::temp_directory_path() / ("sms-auth-group-" + random_uuid())),
        path_((directory_ / "db.sqlite").string()) {
    spdlog::default_logger();  // before any engine thread logs (ThreadSanitizer: see session_service_test.cpp)
    std::filesystem::create_directories(directory_);
  }
  ~SqliteGroupCommitTest() override { std::filesystem::remove_all(directory_); }

  std::int64_t count(SQLite::Database& db) { return db.execAndGet("SELECT count(*) FROM t").getInt64(); }

  std::filesystem::path directory_;
  std::string path_;
};

TEST_F(SqliteGroupCommitTest, InsideAGroupEachCallIsASavepointAndAFailedOneUndoesOnlyItself) {
  SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE TABLE t (v INTEGER)");
  StatementCache statements;
  SqliteConnection connection{db, statements};  // the transaction's statements prepared, as the repository runs them
  db.exec("BEGIN IMMEDIATE");  // the group
  {
    ImmediateTransaction call(connection);
    db.exec("INSERT INTO t VALUES (1)");
    call.commit();
  }
  {
    ImmediateTransaction call(connection);  // fails before its commit: an exception left the call
    db.exec("INSERT INTO t VALUES (2)");
  }
  {
    ImmediateTransaction call(connection);
    db.exec("INSERT INTO t VALUES (3)");
    call.commit();
  }
  EXPECT_EQ(sqlite3_get_autocommit(db.getHandle()), 0) << "a call ended the group's transaction";
  db.exec("COMMIT");
  EXPECT_EQ(db.execAndGet("SELECT group_concat(v) FROM t").getString(), "1,3");
  // Three calls, one prepared statement each for opening and releasing a savepoint: none parsed again per call.
  int savepoints = 0;
  int releases = 0;
  for (sqlite3_stmt* statement = sqlite3_next_stmt(db.getHandle(), nullptr); statement != nullptr;
       statement = sqlite3_next_stmt(db.getHandle(), statement)) {
    const std::string sql = sqlite3_sql(statement);
    savepoints += sql == "SAVEPOINT call" ? 1 : 0;
    releases += sql == "RELEASE call" ? 1 : 0;
  }
  EXPECT_EQ(savepoints, 1);
  EXPECT_EQ(releases, 1);
}

TEST_F(SqliteGroupCommitTest, AloneACallIsItsOwnTransaction) {
  SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE TABLE t (v INTEGER)");
  StatementCache statements;
  SqliteConnection connection{db, statements};  // the transaction's statements prepared, as the repository runs them
  {
    ImmediateTransaction call(connection);
    db.exec("INSERT INTO t VALUES (1)");
    call.commit();
  }
  {
    ImmediateTransaction call(connection);
    db.exec("INSERT INTO t VALUES (2)");
  }
  EXPECT_EQ(sqlite3_get_autocommit(db.getHandle()), 1);
  EXPECT_EQ(count(db), 1);
}

// Each call of a group journals, in its savepoint, every page it changes that existed before it: tens of pages per
// send. Spilled to a temporary file (SQLite's default past 64 KiB), that journal was 3x the WAL's writes, on
// whatever disk holds /var/tmp; kept in memory, it costs a copy and holds one call's pages at most (SQLite empties it
// when the call's savepoint is released).
TEST_F(SqliteGroupCommitTest, ACallsSavepointJournalInsideAGroupStaysInMemoryNotInATemporaryFile) {
  SqliteRepository repository(path_);
  repository.migrate();
  repository.begin_group();  // pages the next group will change: thousands of limit events, one commit
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(repository.issue_code(send_request(i, 8)));
  repository.commit_group();

  repository.begin_group();
  for (int i = 2000; i < 2010; ++i) ASSERT_TRUE(repository.issue_code(send_request(i, 40)));  // ~80 pages each
  EXPECT_TRUE(repository.group_is_open());
  EXPECT_EQ(open_sqlite_temporary_files(), 0) << "the savepoints' journal spilled to a temporary file";
  repository.commit_group();

  SqliteRepository reader(path_);  // the group committed: its last code is there for any other connection
  VerifyCodeRequest verify;
  verify.phone_number = send_request(2009).phone_number;
  verify.now = kNow;
  verify.submitted_code_hash = kCodeHash;
  verify.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), kNow + hours(1), kNow + hours(2)};
  EXPECT_EQ(reader.verify_code(verify).status, VerifyStatus::verified);
}

TEST_F(SqliteGroupCommitTest, SendsQueuedBehindABusyWriterCommitTogetherAndEachIsDurable) {
  constexpr int kSends = 40;
  {
    SqliteRepository setup(path_);
    setup.migrate();
  }
  StorageEngine storage(sqlite_storage_backend(path_));
  // Another process holds the write lock: the writer's first call waits for it, and the others queue up behind.
  SQLite::Database other(path_, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");

  boost::asio::io_context io;
  std::atomic<int> sent{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kSends; ++i) {
    boost::asio::co_spawn(io, issued(&storage, send_request(i)),
                          [&](std::exception_ptr failure, bool ok) { ++(failure || !ok ? failed : sent); });
  }
  std::thread runner([&io] { io.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // not a timing assertion: only lets the calls queue
  other.exec("ROLLBACK");
  runner.join();

  EXPECT_EQ(sent.load(), kSends);
  EXPECT_EQ(failed.load(), 0);
  const auto stats = storage.group_commit_stats();
  EXPECT_GE(stats.groups_committed, 1U);
  EXPECT_GE(stats.calls_grouped, 2U);
  EXPECT_LT(stats.groups_committed, static_cast<std::uint64_t>(kSends)) << "no two sends shared a commit";
  EXPECT_EQ(stats.groups_undone, 0U);

  // Every code answered 200 is in the file, for any other connection: the group committed.
  SqliteRepository reader(path_);
  for (int i = 0; i < kSends; ++i) {
    VerifyCodeRequest verify;
    verify.phone_number = send_request(i).phone_number;
    verify.now = kNow;
    verify.submitted_code_hash = kCodeHash;
    verify.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), kNow + hours(1), kNow + hours(2)};
    EXPECT_EQ(reader.verify_code(verify).status, VerifyStatus::verified) << verify.phone_number;
  }
}

}  // namespace
}  // namespace sms_auth
