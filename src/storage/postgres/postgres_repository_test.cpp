// PostgreSQL-specific promises of PostgresRepository, each across several connections (several instances): one code
// verified once under parallel attempts, a cap filled from two connections, concurrent rotation of one token,
// migrations racing (on an empty database too), reconnection after the server ends a connection, and a URL's password
// never shown. Runs when SMS_AUTH_TEST_POSTGRES_URL names a throwaway database (ctest's postgres_* entries start one).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <future>
#include <thread>

#include "ratelimit/limit_verdict.hpp"
#include "storage/postgres/postgres_repository.hpp"

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kStart = from_unix_ms(1'700'000'000'000);

std::string test_url() {
  const char* url = std::getenv("SMS_AUTH_TEST_POSTGRES_URL");
  return url ? url : "";
}

class PostgresRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test_url().empty()) GTEST_SKIP() << "SMS_AUTH_TEST_POSTGRES_URL is not set (ctest's postgres entry sets it)";
    repository_ = open();
    repository_->migrate();
    PgConnection admin(PgSettings{test_url()});
    admin.transaction([](PgConnection& c) {
      c.exec_simple(
          "TRUNCATE users, otp_codes, sessions, refresh_tokens, rate_events, rate_totals, sms_messages, "
          "sms_webhook_events");
    });
  }

  static std::unique_ptr<PostgresRepository> open(bool prepared = true) {
    PgSettings settings{test_url()};
    settings.prepared_statements = prepared;
    return std::make_unique<PostgresRepository>(settings);
  }

  static IssueCodeRequest send_request(const std::string& phone, TimePoint now, std::vector<WindowLimit> limits) {
    IssueCodeRequest request;
    request.phone_number = phone;
    request.now = now;
    request.new_seed = random_bytes(16);
    request.new_code_hash = Bytes(32, 2);
    request.new_expires_at = now + minutes(5);
    request.limits = std::move(limits);
    request.reservation_id = random_uuid();
    return request;
  }

  static VerifyCodeRequest verify_request(const std::string& phone, TimePoint now, bool right) {
    VerifyCodeRequest request;
    request.phone_number = phone;
    request.now = now;
    request.failure_limit = WindowLimit{"failures", "fail:" + phone, 10, hours(1), false};
    request.submitted_code_hash = right ? Bytes(32, 2) : Bytes(32, 9);
    request.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), now + hours(1), now + hours(2)};
    return request;
  }

  // Four connections (as four instances starting together) migrate at once; returns how many of them failed.
  static int failed_migrations_of_four_racing(const std::function<std::unique_ptr<PostgresRepository>()>& open_one) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&failures, &open_one] {
        try {
          open_one()->migrate();
        } catch (const std::exception&) {
          ++failures;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    return failures.load();
  }

  // The server's max_connections: the margin below a limit under which sends may share its bucket's lock.
  static int server_max_connections() {
    PgConnection admin(PgSettings{test_url()});
    return admin.transaction([](PgConnection& c) {
      return static_cast<int>(
          c.exec({"max_connections", "SELECT current_setting('max_connections')::int"}).integer(0, 0));
    });
  }

  // `count` events of `bucket` a minute before kStart, as rows and as a per-minute total in shard 7 (as another
  // connection would have counted them), so that both readings of a window see them.
  static void add_events(const std::string& bucket, int count) {
    const std::int64_t at = to_unix_ms(kStart - minutes(1));
    PgConnection admin(PgSettings{test_url()});
    admin.transaction([&](PgConnection& c) {
      c.exec_simple("INSERT INTO rate_events (bucket, at_ms) SELECT '" + bucket + "', " + std::to_string(at) +
                    " FROM generate_series(1, " + std::to_string(count) + ")");
      c.exec_simple("INSERT INTO rate_totals (bucket, slot, shard, events) VALUES ('" + bucket + "', " +
                    std::to_string(at / 60000) + ", 7, " + std::to_string(count) + ")");
    });
  }

  // Runs `while_held` while another connection holds `bucket`'s limit lock in shared mode.
  static void while_another_send_shares_the_lock_of(const std::string& bucket,
                                                    const std::function<void()>& while_held) {
    std::promise<void> held;
    std::promise<void> release;
    std::thread holder([&] {
      PgConnection other(PgSettings{test_url()});
      other.transaction([&](PgConnection& c) {
        c.exec_simple("SELECT pg_advisory_xact_lock_shared(7302, hashtext('" + bucket + "'))");
        held.set_value();
        release.get_future().wait();
      });
    });
    held.get_future().wait();
    try {
      while_held();
    } catch (...) {
      release.set_value();
      holder.join();
      throw;
    }
    release.set_value();
    holder.join();
  }

  std::unique_ptr<PostgresRepository> repository_;
};

TEST_F(PostgresRepositoryTest, MigrationsRacingFromFourConnectionsApplyOnce) {
  EXPECT_EQ(failed_migrations_of_four_racing([] { return open(); }), 0);
  EXPECT_EQ(repository_->schema_version(), repository_->expected_schema_version());
}

TEST_F(PostgresRepositoryTest, AnEmptyDatabaseHasSchemaVersionZeroAndMigrationsRacingOnItApplyOnce) {
  // An empty database: a schema of its own, first on the search path of the connections below.
  PgConnection admin(PgSettings{test_url()});
  admin.transaction([](PgConnection& c) {
    c.exec_simple("DROP SCHEMA IF EXISTS empty_database CASCADE");
    c.exec_simple("CREATE SCHEMA empty_database");
  });
  const std::string url =
      test_url() + (test_url().find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3Dempty_database";
  const auto open_empty = [&url] { return std::make_unique<PostgresRepository>(PgSettings{url}); };
  EXPECT_EQ(open_empty()->schema_version(), 0);

  EXPECT_EQ(failed_migrations_of_four_racing(open_empty), 0);
  const auto migrated = open_empty();
  EXPECT_EQ(migrated->schema_version(), migrated->expected_schema_version());
  EXPECT_NO_THROW(migrated->migrate());  // up to date: nothing to do
  admin.transaction([](PgConnection& c) { c.exec_simple("DROP SCHEMA empty_database CASCADE"); });
}

TEST_F(PostgresRepositoryTest, AWrongCodeCountsAndTheRightOneLogsInOnce) {
  ASSERT_TRUE(repository_->issue_code(send_request("+77010000001", kStart, {})));
  auto wrong = repository_->verify_code(verify_request("+77010000001", kStart, false));
  EXPECT_EQ(wrong.status, VerifyStatus::wrong_code);
  EXPECT_EQ(wrong.attempts_left, 4);
  auto right = verify_request("+77010000001", kStart, true);
  const auto verified = repository_->verify_code(right);
  ASSERT_EQ(verified.status, VerifyStatus::verified);
  EXPECT_TRUE(verified.user_created);
  EXPECT_EQ(repository_->verify_code(verify_request("+77010000001", kStart, true)).status, VerifyStatus::no_code);
  const auto session = repository_->find_session(right.session.session_id);
  ASSERT_TRUE(session);
  EXPECT_TRUE(session->refreshable_at(kStart));
  EXPECT_EQ(repository_->find_user_by_phone("+77010000001")->id, verified.user.id);
}

TEST_F(PostgresRepositoryTest, EightParallelVerifiesOnEightConnectionsLogInExactlyOnce) {
  ASSERT_TRUE(repository_->issue_code(send_request("+77010000002", kStart, {})));
  std::atomic<int> verified{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      try {
        auto connection = open(/*prepared=*/false);
        if (connection->verify_code(verify_request("+77010000002", kStart, true)).status == VerifyStatus::verified) {
          ++verified;
        }
      } catch (const std::exception&) {
        ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 1);
  EXPECT_EQ(errors.load(), 0);
}

TEST_F(PostgresRepositoryTest, ACapFilledFromSeveralConnectionsAtOnceHoldsExactly) {
  const WindowLimit cap{"per_number_hour", "sms:number:+77010000003", 3, hours(1)};
  std::atomic<int> issued{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto connection = open(i % 2 == 0);
      for (int n = 0; n < 2; ++n) {
        if (connection->issue_code(send_request("+77010000003", kStart + Milliseconds(i), {cap}))) {
          ++issued;
        } else {
          ++refused;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(issued.load(), 3);
  EXPECT_EQ(refused.load(), 13);
  const auto refusal = repository_->issue_code(send_request("+77010000003", kStart + minutes(1), {cap}));
  ASSERT_FALSE(refusal);
  EXPECT_EQ(refusal.error().name, "per_number_hour");
  EXPECT_GT(refusal.error().retry_after, minutes(58));
}

TEST_F(PostgresRepositoryTest, ASendFarFromAGlobalCapSharesItsLockAndOneNearItWaitsForTheOtherHolders) {
  const int margin = server_max_connections();
  PgSettings impatient{test_url()};
  impatient.statement_timeout = Milliseconds(300);  // a send waiting for the lock fails fast instead of hanging
  PostgresRepository sender(impatient);
  const auto cap = [](const std::string& bucket, int limit) {
    return WindowLimit{"global_hour", bucket, limit, hours(1)};
  };
  int number = 0;
  const auto send = [&](const WindowLimit& limit) {
    return sender.issue_code(send_request("+7701100" + std::to_string(1000 + number++), kStart, {limit}));
  };

  // Walked exactly (up to kLargestExactLimit events) and read from per-minute totals: the two readings of a window.
  for (const int limit : {2 * margin + 40, kLargestExactLimit * 4}) {
    const std::string bucket = "sms:test-global:" + std::to_string(limit);
    add_events(bucket, limit - margin - 1);  // one send short of the shared threshold
    while_another_send_shares_the_lock_of(bucket, [&] {
      EXPECT_TRUE(send(cap(bucket, limit))) << "far from the cap: the shared lock is shared";
      EXPECT_THROW(send(cap(bucket, limit)), StorageUnavailable) << "at the threshold: waits for an exclusive lock";
      EXPECT_THROW(send(cap(bucket, 2 * margin - 1)), StorageUnavailable) << "a cap this small is never shared";
    });
    // The holder gone, the exclusive lock is free: the count read is the count, and the send passes.
    EXPECT_TRUE(send(cap(bucket, limit)));
  }
}

// Many sends at once far from a cap, then across the threshold where they switch to exclusive locks, then into it:
// exactly the cap's room passes, whether the window is walked or read from per-minute totals in several shards.
TEST_F(PostgresRepositoryTest, AGlobalCapSharedBySendsFromEightConnectionsAtOnceHoldsExactly) {
  const int margin = server_max_connections();
  for (const int limit : {2 * margin + 40, kLargestExactLimit * 4}) {
    const std::string bucket = "sms:test-global:" + std::to_string(limit);
    const int already = limit - margin - 30;  // 30 sends still share the lock, then the rest queue for it
    add_events(bucket, already);
    const int room = limit - already;
    const WindowLimit cap{"global_hour", bucket, limit, hours(1)};
    std::atomic<int> issued{0};
    std::atomic<int> refused{0};
    std::atomic<int> next_number{0};
    std::vector<std::thread> threads;
    const int per_thread = room / 8 + 10;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        auto connection = open(i % 2 == 0);
        for (int n = 0; n < per_thread; ++n) {
          const std::string phone = "+7702" + std::to_string(1000000 + limit * 10 + next_number++);
          if (connection->issue_code(send_request(phone, kStart + Milliseconds(n), {cap}))) {
            ++issued;
          } else {
            ++refused;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(issued.load(), room) << "limit " << limit;
    EXPECT_EQ(refused.load(), 8 * per_thread - room) << "limit " << limit;
  }
}

TEST_F(PostgresRepositoryTest, PruneFoldsThePastMinutesShardsIntoOneRowWithTheSameTotal) {
  PgConnection admin(PgSettings{test_url()});
  const std::int64_t past = totals_slot(kStart) - 5;
  const std::int64_t current = totals_slot(kStart);
  admin.transaction([&](PgConnection& c) {
    // A past minute counted by three connections, one of which took an event back, and the current minute in two.
    c.exec_simple("INSERT INTO rate_totals (bucket, slot, shard, events) VALUES ('sms:fold', " + std::to_string(past) +
                  ", 1, 4), ('sms:fold', " + std::to_string(past) + ", 2, 3), ('sms:fold', " + std::to_string(past) +
                  ", 5, -1), ('sms:fold', " + std::to_string(current) + ", 1, 2), ('sms:fold', " +
                  std::to_string(current) + ", 3, 1)");
  });
  repository_->prune(kStart, hours(24));
  const auto rows = admin.transaction([](PgConnection& c) {
    const auto r = c.exec({"fold_check",
                           "SELECT slot, COUNT(*), SUM(events), MIN(shard) FROM rate_totals WHERE bucket = 'sms:fold' "
                           "GROUP BY slot ORDER BY slot"});
    std::vector<std::vector<std::int64_t>> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r.integer(i, 0), r.integer(i, 1), r.integer(i, 2), r.integer(i, 3)});
    }
    return out;
  });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::int64_t>{past, 1, 6, 0})) << "folded into shard 0, the total kept";
  EXPECT_EQ(rows[1], (std::vector<std::int64_t>{current, 2, 3, 1})) << "the current minute is left to its writers";
}

TEST_F(PostgresRepositoryTest, ConcurrentRotationsOfOneTokenNeverForkTheFamily) {
  ASSERT_TRUE(repository_->issue_code(send_request("+77010000004", kStart, {})));
  auto login = verify_request("+77010000004", kStart, true);
  ASSERT_EQ(repository_->verify_code(login).status, VerifyStatus::verified);
  std::atomic<int> rotated{0};
  std::atomic<int> reused{0};
  std::atomic<int> revoked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      RotateRefreshTokenRequest request{login.session.refresh_token_hash, kStart + minutes(1), random_bytes(32),
                                        kStart + hours(1), Milliseconds{0}};
      const auto out = open()->rotate_refresh_token(request);
      if (out.status == RotateStatus::rotated) ++rotated;
      if (out.status == RotateStatus::reuse_detected) ++reused;
      if (out.status == RotateStatus::session_revoked) ++revoked;
    });
  }
  for (auto& thread : threads) thread.join();
  // Serialized: one rotates, the next sees the rotation and ends the family, the rest find it ended.
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(reused.load(), 1);
  EXPECT_EQ(revoked.load(), 2);
  EXPECT_EQ(repository_->find_session(login.session.session_id)->revoked_reason, "reuse_detected");
}

TEST_F(PostgresRepositoryTest, AConnectionTheServerEndedIsReplacedByTheNextCall) {
  repository_->ping();
  PgConnection admin(PgSettings{test_url()});
  admin.transaction([](PgConnection& c) {
    c.exec_simple(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sms-auth' AND "
        "pid <> pg_backend_pid()");
  });
  EXPECT_NO_THROW(repository_->ping());
  EXPECT_EQ(repository_->schema_version(), repository_->expected_schema_version());
}

TEST_F(PostgresRepositoryTest, SmsReportsApplyOncePerEvent) {
  repository_->record_sent_sms(
      {.message_id = "m-1", .phone_number = "+77010000005", .status = "SENT", .sent_at = kStart, .gateway = "mobizon"});
  const SmsDeliveryStatus delivered{"m-1", "DELIVRD", true, 1, ""};
  EXPECT_EQ(repository_->apply_sms_report("e-1", delivered, kStart), SmsStatusApplied::became_final);
  EXPECT_EQ(repository_->apply_sms_report("e-1", delivered, kStart), SmsStatusApplied::duplicate_event);
  EXPECT_EQ(repository_->apply_sms_report("e-2", {"nope", "DELIVRD", true, 1, ""}, kStart),
            SmsStatusApplied::unknown_message);
  // The event id of an unknown message is remembered too: replayed with other data, it changes nothing.
  EXPECT_EQ(repository_->apply_sms_report("e-2", delivered, kStart), SmsStatusApplied::duplicate_event);
  const auto recent = repository_->recent_sms("+77010000005", 10);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_TRUE(recent[0].final);
  EXPECT_EQ(recent[0].status, "DELIVRD");
}

TEST(PostgresUrl, ThePasswordIsNeverShown) {
  EXPECT_EQ(redact_database_url("postgresql://sms:s3cret@db1:5432,db2:5432/auth?target_session_attrs=read-write"),
            "postgresql://sms:***@db1:5432,db2:5432/auth?target_session_attrs=read-write");
  EXPECT_EQ(redact_database_url("postgres://sms@db/auth?password=s3cret&sslmode=require"),
            "postgres://sms@db/auth?password=***&sslmode=require");
  EXPECT_EQ(redact_database_url("postgresql://db/auth"), "postgresql://db/auth");
}

TEST(PostgresUrl, AnUnreachableServerIsStorageUnavailableNamingTheUrlWithoutItsPassword) {
  PgSettings settings{"postgresql://sms:s3cret@127.0.0.1:1/auth"};
  settings.connect_timeout_seconds = 2;
  PostgresRepository repository(settings);
  try {
    repository.connect();
    FAIL() << "connected to port 1";
  } catch (const StorageUnavailable& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("DATABASE_URL=postgresql://sms:***@127.0.0.1:1/auth"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace sms_auth
