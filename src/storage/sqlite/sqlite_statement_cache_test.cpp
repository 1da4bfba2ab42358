// Statements prepared once per connection: the same SQL gets the same statement again, a statement used inside its
// own use gets a fresh one, and a finished read keeps no snapshot, so the next read sees another connection's commit.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.hpp"
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {
namespace {

class SqliteStatementCacheTest : public ::testing::Test {
 protected:
  SqliteStatementCacheTest()
      : directory_(std::filesystem::temp_directory_path() / ("sms-auth-statements-" + random_uuid())) {
    std::filesystem::create_directories(directory_);
    path_ = (directory_ / "db.sqlite").string();
    database_ = std::make_unique<SQLite::Database>(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    database_->exec("PRAGMA journal_mode = WAL");
    database_->exec("CREATE TABLE t (v INTEGER)");
  }
  ~SqliteStatementCacheTest() override {
    cache_.reset();  // statements are finalized before their connection closes
    database_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::filesystem::path directory_;
  std::string path_;
  std::unique_ptr<SQLite::Database> database_;
  std::unique_ptr<StatementCache> cache_ = std::make_unique<StatementCache>();
  SqliteConnection connection() { return SqliteConnection{*database_, *cache_}; }
};

const SQLite::Statement* address(Prepared& statement) { return &static_cast<SQLite::Statement&>(statement); }

TEST_F(SqliteStatementCacheTest, TheSameSqlGetsTheStatementPreparedTheFirstTime) {
  auto db = connection();
  const SQLite::Statement* first = nullptr;
  {
    Prepared insert(db, "INSERT INTO t VALUES (?)");
    insert.bind(1, 1);
    insert.exec();
    first = address(insert);
  }
  Prepared again(db, "INSERT INTO t VALUES (?)");
  EXPECT_EQ(address(again), first);
  again.bind(1, 2);
  EXPECT_EQ(again.exec(), 1);  // reset after its first use: it runs again
}

TEST_F(SqliteStatementCacheTest, AStatementUsedWhileInUseIsPreparedAfreshForTheInnerUse) {
  auto db = connection();
  database_->exec("INSERT INTO t VALUES (1), (2)");
  Prepared outer(db, "SELECT v FROM t ORDER BY v");
  ASSERT_TRUE(outer.executeStep());
  {
    Prepared inner(db, "SELECT v FROM t ORDER BY v");
    EXPECT_NE(address(inner), address(outer));
    ASSERT_TRUE(inner.executeStep());
    EXPECT_EQ(inner.getColumn(0).getInt(), 1);
  }
  ASSERT_TRUE(outer.executeStep());  // the outer use goes on where it was
  EXPECT_EQ(outer.getColumn(0).getInt(), 2);
}

TEST_F(SqliteStatementCacheTest, AFinishedReadKeepsNoSnapshotAndTheNextSeesAnotherConnectionsCommit) {
  auto db = connection();
  database_->exec("INSERT INTO t VALUES (1)");
  {
    Prepared read(db, "SELECT v FROM t");
    ASSERT_TRUE(read.executeStep());  // one row read, the statement not stepped to its end
  }
  SQLite::Database other(path_, SQLite::OPEN_READWRITE);
  other.exec("INSERT INTO t VALUES (2)");
  Prepared count(db, "SELECT count(*) FROM t");
  ASSERT_TRUE(count.executeStep());
  EXPECT_EQ(count.getColumn(0).getInt(), 2) << "a cached statement held an old WAL snapshot open";
}

}  // namespace
}  // namespace sms_auth
