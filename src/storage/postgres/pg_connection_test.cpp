// PgConnection's pipelines: deferred statements run in order with the statement or the commit they go out with, a
// failure among them undoes the whole transaction and leaves the connection usable, statements sent together answer
// each with its own rows (and fail their transaction as one statement would), a statement deferred twice is
// prepared once, a transaction of deferred statements only still survives a connection the server ended, and every
// transaction runs with the statement timeout and on generic plans (a prepared statement is not planned anew). Runs
// when SMS_AUTH_TEST_POSTGRES_URL names a throwaway database (ctest's postgres_* entries start one).
#include "storage/postgres/pg_connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "storage/repository.hpp"

namespace sms_auth {
namespace {

constexpr PgStatement kInsert{"pipeline_test_insert", "INSERT INTO pipeline_test (id, note) VALUES ($1, $2)"};
constexpr PgStatement kCount{"pipeline_test_count", "SELECT COUNT(*) FROM pipeline_test"};
constexpr PgStatement kNotes{"pipeline_test_notes", "SELECT string_agg(note, ',' ORDER BY id) FROM pipeline_test"};
constexpr PgStatement kWindow{"pipeline_test_window",
                              "SELECT COUNT(*) FROM pipeline_test, unnest($1::int[]) AS u(i) WHERE id = u.i"};
constexpr PgStatement kPlans{"pipeline_test_plans",
                             "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1"};
constexpr PgStatement kSettings{"pipeline_test_settings",
                                "SELECT current_setting('statement_timeout'), current_setting('plan_cache_mode')"};

std::string test_url() {
  const char* url = std::getenv("SMS_AUTH_TEST_POSTGRES_URL");
  return url ? url : "";
}

class PgConnectionPipelineTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (test_url().empty()) GTEST_SKIP() << "SMS_AUTH_TEST_POSTGRES_URL is not set (ctest's postgres entry sets it)";
    PgConnection admin(PgSettings{test_url()});
    admin.transaction([](PgConnection& c) {
      c.exec_simple("DROP TABLE IF EXISTS pipeline_test");
      c.exec_simple("CREATE TABLE pipeline_test (id integer PRIMARY KEY, note text NOT NULL)");
    });
  }

  PgSettings settings() const {
    PgSettings out{test_url()};
    out.prepared_statements = GetParam();
    return out;
  }

  static std::int64_t rows_seen_by_another_connection() {
    PgConnection other(PgSettings{test_url()});
    return other.transaction([](PgConnection& c) { return c.exec(kCount).integer(0, 0); });
  }
};

TEST_P(PgConnectionPipelineTest, DeferredStatementsRunInOrderBeforeTheNextStatementAndCommitWithTheTransaction) {
  PgConnection connection(settings());
  const std::string notes = connection.transaction([](PgConnection& c) {
    c.exec_deferred(kInsert, {1, "first"});
    c.exec_deferred(kInsert, {2, "second"});  // the same statement twice in one pipeline: prepared once
    const std::string seen = c.exec(kNotes).text(0, 0);
    c.exec_deferred(kInsert, {3, "third"});  // goes out with the COMMIT
    return seen;
  });
  EXPECT_EQ(notes, "first,second");
  EXPECT_EQ(rows_seen_by_another_connection(), 3);
}

TEST_P(PgConnectionPipelineTest, AFailingDeferredStatementUndoesItsWholeTransactionAndTheConnectionStaysUsable) {
  PgConnection connection(settings());
  EXPECT_THROW(connection.transaction([](PgConnection& c) {
    c.exec_deferred(kInsert, {1, "kept?"});
    c.exec_deferred(kInsert, {1, "duplicate key"});  // fails at the commit it goes out with
    c.exec_deferred(kInsert, {2, "after the failure"});
  }),
               StorageUnavailable);
  EXPECT_EQ(rows_seen_by_another_connection(), 0);

  connection.transaction([](PgConnection& c) { c.exec_deferred(kInsert, {4, "next"}); });
  EXPECT_EQ(rows_seen_by_another_connection(), 1);
}

TEST_P(PgConnectionPipelineTest, AFailureSurfacesAtTheNextStatementAndNothingAfterItRuns) {
  PgConnection connection(settings());
  bool reached_after = false;
  EXPECT_THROW(connection.transaction([&](PgConnection& c) {
    c.exec_deferred(kInsert, {1, "one"});
    c.exec_deferred(kInsert, {1, "duplicate key"});
    c.exec(kCount);
    reached_after = true;
  }),
               StorageUnavailable);
  EXPECT_FALSE(reached_after);
  EXPECT_EQ(rows_seen_by_another_connection(), 0);
}

TEST_P(PgConnectionPipelineTest, StatementsSentTogetherAnswerEachWithItsOwnRowsInOrderAfterTheDeferredOnes) {
  PgConnection connection(settings());
  constexpr PgStatement kInsertReturning{"pipeline_test_insert_returning",
                                         "INSERT INTO pipeline_test (id, note) VALUES ($1, $2) RETURNING id * 10"};
  const auto answers = connection.transaction([&](PgConnection& c) {
    c.exec_deferred(kInsert, {1, "first"});
    auto rows = c.exec_together({{kNotes, {}}, {kInsertReturning, {2, "second"}}, {kNotes, {}}, {kCount, {}}});
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.text(0, 0));
    return out;
  });
  EXPECT_EQ(answers, (std::vector<std::string>{"first", "20", "first,second", "2"}));
  EXPECT_EQ(rows_seen_by_another_connection(), 2);
}

TEST_P(PgConnectionPipelineTest, AFailureAmongStatementsSentTogetherUndoesTheTransactionAndTheConnectionStaysUsable) {
  PgConnection connection(settings());
  bool reached_after = false;
  EXPECT_THROW(connection.transaction([&](PgConnection& c) {
    c.exec_together({{kInsert, {1, "one"}}, {kInsert, {1, "duplicate key"}}, {kCount, {}}});
    reached_after = true;
  }),
               StorageUnavailable);
  EXPECT_FALSE(reached_after);
  EXPECT_EQ(rows_seen_by_another_connection(), 0);

  const auto count = connection.transaction([](PgConnection& c) {
    return c.exec_together({{kInsert, {4, "next"}}, {kCount, {}}}).back().integer(0, 0);
  });
  EXPECT_EQ(count, 1);
}

TEST_P(PgConnectionPipelineTest, DiscardKeepsNothingOfTheDeferredStatements) {
  PgConnection connection(settings());
  connection.transaction([](PgConnection& c) {
    c.exec_deferred(kInsert, {1, "one"});
    c.exec(kCount);
    c.exec_deferred(kInsert, {2, "two"});
    c.discard();
  });
  EXPECT_EQ(rows_seen_by_another_connection(), 0);
}

TEST_P(PgConnectionPipelineTest, ATransactionOfDeferredStatementsRunsOnceOnANewConnectionWhenTheServerEndedTheOld) {
  PgSettings mine = settings();
  mine.url += (mine.url.find('?') == std::string::npos ? "?" : "&") + std::string("application_name=pipeline-test");
  PgConnection connection(mine);
  connection.transaction([](PgConnection& c) { c.exec(kCount); });  // connected, idle
  PgConnection admin(PgSettings{test_url()});
  admin.transaction([](PgConnection& c) {
    c.exec_simple("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pipeline-test'");
  });

  EXPECT_NO_THROW(connection.transaction([](PgConnection& c) { c.exec_deferred(kInsert, {1, "once"}); }));
  EXPECT_EQ(rows_seen_by_another_connection(), 1);
}

// PostgreSQL would plan a prepared statement again on every call while its generic plan looks dearer (always for the
// first five calls, and for good when the estimates favour custom plans, as for statements over unnest() arrays).
TEST_P(PgConnectionPipelineTest, APreparedStatementRunsOnOneGenericPlanInsteadOfBeingPlannedOnEveryCall) {
  if (!GetParam()) GTEST_SKIP() << "unnamed statements are planned on each call by design";
  PgConnection connection(settings());
  for (int call = 0; call < 8; ++call) {
    connection.transaction([](PgConnection& c) { c.exec(kWindow, {"{1,2,3}"}); });
  }
  const auto plans = connection.transaction([](PgConnection& c) {
    const auto row = c.exec(kPlans, {kWindow.name});
    return std::pair{row.integer(0, 0), row.integer(0, 1)};
  });
  EXPECT_EQ(plans.second, 0) << "custom plans, each planned for its call";
  EXPECT_EQ(plans.first, 8);
}

TEST_P(PgConnectionPipelineTest, EveryTransactionRunsWithTheConfiguredStatementTimeoutAndGenericPlans) {
  PgSettings mine = settings();
  mine.statement_timeout = std::chrono::milliseconds(1234);
  PgConnection connection(mine);
  const auto inside = connection.transaction([](PgConnection& c) {
    const auto row = c.exec(kSettings);
    return row.text(0, 0) + " " + row.text(0, 1);
  });
  EXPECT_EQ(inside, "1234ms force_generic_plan");
}

std::string statement_kind(const ::testing::TestParamInfo<bool>& param_info) {
  return param_info.param ? "prepared" : "unnamed";
}

INSTANTIATE_TEST_SUITE_P(Postgres, PgConnectionPipelineTest, ::testing::Bool(), statement_kind);

}  // namespace
}  // namespace sms_auth
