// The Repository contract, one suite for every engine: codes issued, verified and consumed once, attempts counted
// before the comparison, sliding-window limits with exact Retry-After, the conversion rule, the unverified-SMS budget
// (what counts as unverified, its exemptions), refunds, same-client forgiveness, refresh rotation (grace, reuse, idle
// and absolute expiry, blocking), logout and revocation, the SMS message log, pruning, and one limit or one code
// across several connections (several instances).
//
// It runs on SQLite (a temp file) always, and on PostgreSQL when SMS_AUTH_TEST_POSTGRES_URL names a throwaway
// database (`make test` starts one). Time is passed in, so windows and lifetimes are crossed without waiting.
#include "storage/repository_contract.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/run_to_completion.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart = from_unix_ms(1'700'000'000'000);
const Bytes kCodeHash(32, 2);   // what every code below is issued with
const Bytes kWrongHash(32, 9);  // what a wrong code hashes to

// A fresh SQLite file in a directory of its own, removed afterwards.
class SqliteContractDatabase final : public ContractDatabase {
 public:
  SqliteContractDatabase()
      : directory_(std::filesystem::temp_directory_path() / ("sms-auth-contract-" + random_uuid())) {}
  ~SqliteContractDatabase() override { std::filesystem::remove_all(directory_); }
  StorageBackend backend() override { return sqlite_storage_backend((directory_ / "db.sqlite").string()); }

 private:
  std::filesystem::path directory_;
};

std::vector<ContractEngine> engines() {
  std::vector<ContractEngine> out{{"sqlite", [] { return std::make_unique<SqliteContractDatabase>(); }}};
  for (const auto& engine : more_contract_engines()) out.push_back(engine);  // a copy: read once per suite
  return out;
}

class RepositoryContract : public ::testing::TestWithParam<ContractEngine> {
 protected:
  void SetUp() override {
    spdlog::default_logger();  // before any engine thread logs (ThreadSanitizer: see session_service_test.cpp)
    database_ = GetParam().create();
    repository_ = connect();
    repository_->migrate();
  }
  void TearDown() override {
    repository_.reset();
    database_.reset();
  }

  // Another connection to the same database: what a second instance (or an engine thread) has.
  std::unique_ptr<Repository> connect() { return database_->backend().open_connection(); }

  static IssueCodeRequest send_request(const std::string& phone, TimePoint now, std::vector<WindowLimit> limits = {},
                                       std::vector<std::string> tallies = {}) {
    IssueCodeRequest request;
    request.phone_number = phone;
    request.now = now;
    request.new_seed = random_bytes(16);
    request.new_code_hash = kCodeHash;
    request.new_expires_at = now + minutes(5);
    request.max_attempts = 5;
    request.limits = std::move(limits);
    request.tallies = std::move(tallies);
    request.reservation_id = random_uuid();
    return request;
  }

  result<IssuedCode, LimitExceeded> send(const std::string& phone, TimePoint now, std::vector<WindowLimit> limits = {},
                                         std::vector<std::string> tallies = {}) {
    return repository_->issue_code(send_request(phone, now, std::move(limits), std::move(tallies)));
  }

  static VerifyCodeRequest verify_request(const std::string& phone, TimePoint now, bool right,
                                          std::optional<WindowLimit> failures = std::nullopt, std::string tag = {},
                                          std::vector<std::string> success_tallies = {}) {
    VerifyCodeRequest request;
    request.phone_number = phone;
    request.now = now;
    request.failure_limit = std::move(failures);
    request.failure_tag = std::move(tag);
    request.success_tallies = std::move(success_tallies);
    request.submitted_code_hash = right ? kCodeHash : kWrongHash;
    request.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), now + hours(1), now + hours(2)};
    return request;
  }

  VerifyCodeResult verify(const std::string& phone, TimePoint now, bool right,
                          std::optional<WindowLimit> failures = std::nullopt, std::string tag = {},
                          std::vector<std::string> success_tallies = {}) {
    return repository_->verify_code(
        verify_request(phone, now, right, std::move(failures), std::move(tag), std::move(success_tallies)));
  }

  std::int64_t events(const std::string& bucket, TimePoint since = kStart - hours(48)) {
    const auto counts = repository_->count_events_by_bucket(bucket, since);
    const auto it = counts.find(bucket);
    return it == counts.end() ? 0 : it->second;
  }

  // A login as verify-code leaves it: the session id and the first refresh token's hash.
  struct Login {
    std::string session_id;
    std::string user_id;
    Bytes token;
  };
  Login login(const std::string& phone, TimePoint now, Milliseconds idle = hours(1), Milliseconds lifetime = hours(24)) {
    EXPECT_TRUE(send(phone, now));
    auto request = verify_request(phone, now, true);
    request.session.refresh_expires_at = now + idle;
    request.session.session_expires_at = now + lifetime;
    const auto verified = repository_->verify_code(request);
    EXPECT_EQ(verified.status, VerifyStatus::verified);
    return {request.session.session_id, verified.user.id, request.session.refresh_token_hash};
  }

  RotateRefreshTokenResult rotate(const Bytes& token, TimePoint now, Bytes* next = nullptr,
                                  Milliseconds grace = seconds(10)) {
    RotateRefreshTokenRequest request;
    request.presented_hash = token;
    request.now = now;
    request.new_token_hash = random_bytes(32);
    request.new_token_expires_at = now + hours(1);
    request.reuse_grace = grace;
    if (next != nullptr) *next = request.new_token_hash;
    return repository_->rotate_refresh_token(request);
  }

  std::unique_ptr<ContractDatabase> database_;
  std::unique_ptr<Repository> repository_;
};

WindowLimit per_hour(std::string bucket, int limit) { return {"per_hour", std::move(bucket), limit, hours(1)}; }

WindowLimit conversion(std::string prefix, int samples, double ratio, seconds window) {
  return {"conversion_prefix",
          "sms:prefix:" + prefix,
          samples,
          window,
          false,
          ConversionRule{"verified:prefix:" + prefix, ratio}};
}

const WindowLimit kFailures{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", 3, hours(1)};

// ---- schema ----

TEST_P(RepositoryContract, MigrationsAreAppliedAndIdempotent) {
  EXPECT_GE(repository_->schema_version(), 2);
  EXPECT_EQ(repository_->schema_version(), repository_->expected_schema_version());
  repository_->migrate();
  EXPECT_EQ(repository_->schema_version(), repository_->expected_schema_version());
  EXPECT_NO_THROW(repository_->ping());
}

// ---- codes: issue, verify, consume once ----

TEST_P(RepositoryContract, TheRightCodeLogsInOnceAndCreatesTheUser) {
  ASSERT_TRUE(send("+77000000001", kStart));
  const auto request = verify_request("+77000000001", kStart + seconds(5), true);
  const auto first = repository_->verify_code(request);
  ASSERT_EQ(first.status, VerifyStatus::verified);
  EXPECT_TRUE(first.user_created);
  EXPECT_EQ(first.user.id, request.session.new_user_id);
  EXPECT_EQ(first.user.phone_number, "+77000000001");
  EXPECT_EQ(first.user.last_login_at, kStart + seconds(5));

  EXPECT_EQ(verify("+77000000001", kStart + seconds(6), true).status, VerifyStatus::no_code);  // consumed

  const auto session = repository_->find_session(request.session.session_id);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->user_id, first.user.id);
  EXPECT_TRUE(session->refreshable_at(kStart + seconds(6)));
  EXPECT_EQ(repository_->find_user_by_phone("+77000000001")->id, first.user.id);
  EXPECT_EQ(repository_->find_user_by_phone("+77000000001")->last_login_at, kStart + seconds(5));  // stored too
  EXPECT_EQ(repository_->find_user_by_id(first.user.id)->phone_number, "+77000000001");

  // The next login of the number finds the same user.
  ASSERT_TRUE(send("+77000000001", kStart + minutes(1)));
  const auto again = verify("+77000000001", kStart + minutes(1), true);
  ASSERT_EQ(again.status, VerifyStatus::verified);
  EXPECT_FALSE(again.user_created);
  EXPECT_EQ(again.user.id, first.user.id);
  EXPECT_EQ(again.user.last_login_at, kStart + minutes(1));
  EXPECT_EQ(repository_->find_user_by_phone("+77000000001")->last_login_at, kStart + minutes(1));  // stored too
  EXPECT_EQ(repository_->find_user_by_phone("+77000000001")->created_at, kStart + seconds(5));
}

TEST_P(RepositoryContract, NoCodeWasSentIsNoCode) {
  EXPECT_EQ(verify("+77000000001", kStart, true).status, VerifyStatus::no_code);
  EXPECT_FALSE(repository_->find_user_by_phone("+77000000001"));
}

TEST_P(RepositoryContract, AnExpiredCodeIsExpired) {
  ASSERT_TRUE(send("+77000000001", kStart));
  EXPECT_EQ(verify("+77000000001", kStart + minutes(5), true).status, VerifyStatus::expired);
}

TEST_P(RepositoryContract, WrongCodesAreCountedUntilTheCodeIsLocked) {
  ASSERT_TRUE(send("+77000000001", kStart));
  for (int left = 4; left >= 0; --left) {
    const auto wrong = verify("+77000000001", kStart + seconds(1), false);
    ASSERT_EQ(wrong.status, VerifyStatus::wrong_code);
    EXPECT_EQ(wrong.attempts_left, left);
  }
  const auto locked = verify("+77000000001", kStart + minutes(1), true);  // even the right code, now
  EXPECT_EQ(locked.status, VerifyStatus::code_locked);
  EXPECT_EQ(locked.retry_after, minutes(4));  // until the dead code expires
}

TEST_P(RepositoryContract, TheLastAttemptMaySucceed) {
  ASSERT_TRUE(send("+77000000001", kStart));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(verify("+77000000001", kStart, false).status, VerifyStatus::wrong_code);
  EXPECT_EQ(verify("+77000000001", kStart, true).status, VerifyStatus::verified);
}

TEST_P(RepositoryContract, ANewCodeReplacesTheOldOneAndResetsItsAttempts) {
  ASSERT_TRUE(send("+77000000001", kStart));
  ASSERT_EQ(verify("+77000000001", kStart, false).attempts_left, 4);
  auto fresh = send_request("+77000000001", kStart + seconds(30));
  fresh.new_code_hash = Bytes(32, 5);
  ASSERT_TRUE(repository_->issue_code(fresh));
  EXPECT_EQ(verify("+77000000001", kStart + seconds(31), true).status, VerifyStatus::wrong_code);  // the old one
  const auto counted = verify("+77000000001", kStart + seconds(32), false);
  EXPECT_EQ(counted.attempts_left, 3);  // the new code's own budget: 5, two used above
}

TEST_P(RepositoryContract, ResendKeepsALiveCodeWithEnoughLifeAndItsAttempts) {
  const auto first = send("+77000000001", kStart);
  ASSERT_TRUE(first);
  ASSERT_EQ(verify("+77000000001", kStart, false).attempts_left, 4);

  auto resend = send_request("+77000000001", kStart + minutes(1));
  resend.reuse_if_remaining = minutes(2);
  resend.new_code_hash = Bytes(32, 5);
  const auto kept = repository_->issue_code(resend);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->reused);
  EXPECT_EQ(kept->challenge_id, first->challenge_id);
  EXPECT_EQ(kept->seed, first->seed);
  EXPECT_EQ(kept->expires_at, first->expires_at);
  EXPECT_EQ(verify("+77000000001", kStart + minutes(1), false).attempts_left, 3);  // attempts kept too

  auto late = send_request("+77000000001", kStart + minutes(4));  // one minute left: not worth keeping
  late.reuse_if_remaining = minutes(2);
  const auto replaced = repository_->issue_code(late);
  ASSERT_TRUE(replaced);
  EXPECT_FALSE(replaced->reused);
  EXPECT_EQ(replaced->seed, late.new_seed);
  EXPECT_EQ(replaced->expires_at, late.new_expires_at);
}

TEST_P(RepositoryContract, ABlockedUserConsumesTheCodeButGetsNoSession) {
  const Login first = login("+77000000001", kStart);
  ASSERT_TRUE(repository_->set_user_blocked(first.user_id, true, kStart));
  ASSERT_TRUE(send("+77000000001", kStart + minutes(1)));
  const auto request = verify_request("+77000000001", kStart + minutes(1), true);
  const auto blocked = repository_->verify_code(request);
  EXPECT_EQ(blocked.status, VerifyStatus::user_blocked);
  EXPECT_EQ(blocked.user.id, first.user_id);
  EXPECT_FALSE(repository_->find_session(request.session.session_id));
  EXPECT_EQ(verify("+77000000001", kStart + minutes(1), true).status, VerifyStatus::no_code);
}

TEST_P(RepositoryContract, ParallelVerificationsOfOneCodeLogInExactlyOnce) {
  ASSERT_TRUE(send("+77000000001", kStart));
  constexpr int kParallel = 8;
  std::vector<std::unique_ptr<Repository>> connections;
  for (int i = 0; i < kParallel; ++i) connections.push_back(connect());
  std::atomic<int> verified{0};
  std::atomic<int> no_code{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      const auto outcome = connections[static_cast<std::size_t>(i)]->verify_code(
          verify_request("+77000000001", kStart + seconds(1), true));
      if (outcome.status == VerifyStatus::verified) ++verified;
      if (outcome.status == VerifyStatus::no_code) ++no_code;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 1);
  EXPECT_EQ(no_code.load(), kParallel - 1);
}

TEST_P(RepositoryContract, ParallelWrongCodesNeverGetMoreThanTheAttemptBudget) {
  ASSERT_TRUE(send("+77000000001", kStart));
  constexpr int kParallel = 8;
  std::vector<std::unique_ptr<Repository>> connections;
  for (int i = 0; i < kParallel; ++i) connections.push_back(connect());
  std::atomic<int> wrong{0};
  std::atomic<int> locked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      const auto outcome = connections[static_cast<std::size_t>(i)]->verify_code(
          verify_request("+77000000001", kStart + seconds(1), false));
      if (outcome.status == VerifyStatus::wrong_code) ++wrong;
      if (outcome.status == VerifyStatus::code_locked) ++locked;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 5);
  EXPECT_EQ(locked.load(), kParallel - 5);
}

// ---- limits ----

TEST_P(RepositoryContract, OnePastTheLimitIsRefusedUntilTheFirstEventSlidesOut) {
  const auto limit = per_hour("b", 3);
  ASSERT_TRUE(send("+77000000001", kStart, {limit}));
  ASSERT_TRUE(send("+77000000002", kStart + seconds(10), {limit}));
  ASSERT_TRUE(send("+77000000003", kStart + seconds(20), {limit}));

  const auto refused = send("+77000000004", kStart + seconds(30), {limit});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "per_hour");
  EXPECT_EQ(refused.error().retry_after, hours(1) - seconds(30));  // exact: when the first event leaves
  EXPECT_EQ(refused.error().window, hours(1));
  EXPECT_EQ(events("b"), 3);  // a refusal is not counted

  EXPECT_FALSE(send("+77000000004", kStart + hours(1) - milliseconds(1), {limit}));
  EXPECT_TRUE(send("+77000000004", kStart + hours(1), {limit}));
  EXPECT_FALSE(send("+77000000005", kStart + hours(1), {limit}));  // the second event is still inside
}

TEST_P(RepositoryContract, TheFirstRefusingLimitAnswersAndNothingIsCounted) {
  ASSERT_TRUE(send("+77000000001", kStart, {per_hour("a", 5), per_hour("b", 1)}));
  const auto refused = send("+77000000002", kStart, {{"first", "a", 5, hours(1)}, {"second", "b", 1, hours(1)}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "second");
  EXPECT_EQ(events("a"), 1);
}

TEST_P(RepositoryContract, LimitsSharingABucketCountTheEventOnce) {
  const WindowLimit cooldown{"cooldown", "sms:number:+77000000001", 1, seconds(60)};
  const WindowLimit hourly{"per_number_hour", "sms:number:+77000000001", 3, hours(1), false};
  ASSERT_TRUE(send("+77000000001", kStart, {cooldown, hourly}));
  EXPECT_EQ(events("sms:number:+77000000001"), 1);
  const auto refused = send("+77000000001", kStart + seconds(20), {cooldown, hourly});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "cooldown");
  EXPECT_EQ(refused.error().retry_after, seconds(40));
  ASSERT_TRUE(send("+77000000001", kStart + seconds(60), {cooldown, hourly}));
  ASSERT_TRUE(send("+77000000001", kStart + seconds(120), {cooldown, hourly}));
  const auto hour_full = send("+77000000001", kStart + seconds(180), {cooldown, hourly});
  ASSERT_FALSE(hour_full);
  EXPECT_EQ(hour_full.error().name, "per_number_hour");
}

TEST_P(RepositoryContract, AFailedSendIsRefundedWithItsTallies) {
  const auto request = send_request("+77000000001", kStart, {per_hour("b", 1)}, {"sms:country:KZ"});
  const auto issued = repository_->issue_code(request);
  ASSERT_TRUE(issued);
  EXPECT_EQ(events("b"), 1);
  EXPECT_EQ(events("sms:country:KZ"), 1);
  repository_->cancel_issue("+77000000001", issued->challenge_id, request.reservation_id, true, {});
  EXPECT_EQ(events("b"), 0);
  EXPECT_EQ(events("sms:country:KZ"), 0);
  EXPECT_EQ(verify("+77000000001", kStart, true).status, VerifyStatus::no_code);  // no live code left behind
  EXPECT_TRUE(send("+77000000001", kStart, {per_hour("b", 1)}));
}

TEST_P(RepositoryContract, RefundingAResendKeepsTheCodeItReused) {
  ASSERT_TRUE(send("+77000000001", kStart));
  auto resend = send_request("+77000000001", kStart + seconds(30), {per_hour("b", 5)});
  resend.reuse_if_remaining = minutes(2);
  const auto kept = repository_->issue_code(resend);
  ASSERT_TRUE(kept);
  ASSERT_TRUE(kept->reused);
  repository_->cancel_issue("+77000000001", kept->challenge_id, resend.reservation_id, !kept->reused, {});
  EXPECT_EQ(events("b"), 0);
  EXPECT_EQ(verify("+77000000001", kStart + seconds(31), true).status, VerifyStatus::verified);
}

TEST_P(RepositoryContract, ARangeThatDoesNotConvertIsRefusedAfterTheSample) {
  const auto velocity = per_hour("sms:prefix:+7700000", 1000);
  const auto watch = conversion("+7700000", 3, 0.5, hours(24));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(send("+7700000000" + std::to_string(i), kStart + seconds(i), {velocity, watch}));
  }
  const auto refused = send("+77000000009", kStart + minutes(1), {velocity, watch});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "conversion_prefix");
  EXPECT_EQ(refused.error().window, hours(24));
  // At the latest when the sample falls under 3 again: the first send leaves the window.
  EXPECT_EQ(refused.error().retry_after, hours(24) + seconds(1) - minutes(1));

  // Another range is not affected.
  EXPECT_TRUE(send("+77010000001", kStart + minutes(1),
                   {per_hour("sms:prefix:+7701000", 1000), conversion("+7701000", 3, 0.5, hours(24))}));
}

TEST_P(RepositoryContract, VerificationsInTheRangeLiftTheConversionRule) {
  const auto velocity = per_hour("sms:prefix:+7700000", 1000);
  const auto watch = conversion("+7700000", 3, 0.5, hours(24));
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(send("+7700000000" + std::to_string(i), kStart, {velocity, watch}));
  ASSERT_FALSE(send("+77000000004", kStart, {velocity, watch}));  // 0 of 3 verified

  ASSERT_EQ(verify("+77000000001", kStart, true, std::nullopt, {}, {"verified:prefix:+7700000"}).status,
            VerifyStatus::verified);
  ASSERT_FALSE(send("+77000000004", kStart, {velocity, watch}));  // 1 of 3: under one half
  ASSERT_EQ(verify("+77000000002", kStart, true, std::nullopt, {}, {"verified:prefix:+7700000"}).status,
            VerifyStatus::verified);
  EXPECT_TRUE(send("+77000000004", kStart, {velocity, watch}));  // 2 of 3
}

TEST_P(RepositoryContract, ABlockedRangeReopensWhenTheWindowMovesOnAndLetsOnlyATrickleThrough) {
  const auto window = hours(24);
  const auto velocity = per_hour("sms:prefix:+7700000", 1000);
  const auto watch = conversion("+7700000", 3, 0.5, window);
  ASSERT_TRUE(send("+77000000001", kStart, {velocity, watch}));
  ASSERT_TRUE(send("+77000000002", kStart + hours(1), {velocity, watch}));
  ASSERT_TRUE(send("+77000000003", kStart + hours(2), {velocity, watch}));
  const auto refused = send("+77000000004", kStart + hours(3), {velocity, watch});
  ASSERT_FALSE(refused);
  const TimePoint reopens = kStart + hours(3) + refused.error().retry_after;
  EXPECT_EQ(reopens, kStart + window);

  EXPECT_FALSE(send("+77000000004", reopens - milliseconds(1), {velocity, watch}));
  EXPECT_TRUE(send("+77000000004", reopens, {velocity, watch}));
  // The new send fills the sample again: the next one waits for the next old send to leave.
  const auto again = send("+77000000005", reopens, {velocity, watch});
  ASSERT_FALSE(again);
  EXPECT_EQ(reopens + again.error().retry_after, kStart + hours(1) + window);
}

// ---- the unverified-SMS budget (issue 15): what the engine records, refunds, frees and reads ----

// A budget of `limit` unverified SMS per hour for a send to `phone` (range: the number without its last 4 digits),
// with the conversion rule of one in five verified (the country's sample is large: the verdict tests cover it).
WindowLimit unverified_budget(const std::string& phone, int limit) {
  const std::string prefix = phone.substr(0, phone.size() - 4);
  return {"unverified_budget", "sms:unverified", limit, hours(1), false, std::nullopt,
          BudgetExemption{phone, "sms:prefix:" + prefix, "verified:prefix:" + prefix, "sms:country:KZ",
                          "verified:country:KZ", hours(24), 0.2, 1000}};
}

TEST_P(RepositoryContract, ASpentUnverifiedBudgetRefusesUnknownNumbersUntilItsOldestSmsSlidesOut) {
  ASSERT_TRUE(send("+77000000001", kStart, {unverified_budget("+77000000001", 2)}));
  ASSERT_TRUE(send("+77010000001", kStart + minutes(10), {unverified_budget("+77010000001", 2)}));
  const auto refused = send("+77020000001", kStart + minutes(20), {unverified_budget("+77020000001", 2)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "unverified_budget");
  EXPECT_EQ(refused.error().window, hours(1));
  EXPECT_EQ(refused.error().retry_after, minutes(40));  // the first SMS leaves the hour
  EXPECT_FALSE(send("+77020000001", kStart + hours(1) - milliseconds(1), {unverified_budget("+77020000001", 2)}));
  EXPECT_TRUE(send("+77020000001", kStart + hours(1), {unverified_budget("+77020000001", 2)}));
}

TEST_P(RepositoryContract, VerifiedCodesAndRefundedSendsAreNotUnverifiedSmsButPossiblySentOnesAre) {
  const auto budget = [](const std::string& phone) { return std::vector<WindowLimit>{unverified_budget(phone, 2)}; };
  // Verified: the SMS converted, and so did the resend that carried the same code.
  ASSERT_TRUE(send("+77000000001", kStart, budget("+77000000001")));
  auto resend = send_request("+77000000001", kStart + seconds(30), budget("+77000000001"));
  resend.reuse_if_remaining = minutes(2);
  ASSERT_TRUE(repository_->issue_code(resend));
  ASSERT_EQ(verify("+77000000001", kStart + seconds(40), true).status, VerifyStatus::verified);
  // Surely not sent, refunded: new code and kept code alike, even when a refusal keeps limit buckets.
  const auto failed = send_request("+77010000001", kStart + minutes(1), budget("+77010000001"));
  const auto issued = repository_->issue_code(failed);
  ASSERT_TRUE(issued);
  repository_->cancel_issue("+77010000001", issued->challenge_id, failed.reservation_id, true, {"sms:unverified"});
  // Possibly sent (never cancelled) and plain unverified SMS count: two spend the budget.
  ASSERT_TRUE(send("+77020000001", kStart + minutes(2), budget("+77020000001")));
  ASSERT_TRUE(send("+77030000001", kStart + minutes(3), budget("+77030000001")));
  const auto refused = send("+77040000001", kStart + minutes(4), budget("+77040000001"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "unverified_budget");
  // A verification frees its SMS at once.
  ASSERT_EQ(verify("+77030000001", kStart + minutes(5), true).status, VerifyStatus::verified);
  EXPECT_TRUE(send("+77040000001", kStart + minutes(5), budget("+77040000001")));
}

TEST_P(RepositoryContract, ASpentBudgetStillSendsToReturningUsersAndHealthyRanges) {
  const std::vector<std::string> country{"sms:country:KZ"};
  const auto limits = [](const std::string& phone) {
    return std::vector<WindowLimit>{per_hour("sms:prefix:" + phone.substr(0, phone.size() - 4), 1000),
                                    unverified_budget(phone, 2)};
  };
  const auto verified_in = [](const std::string& phone) {
    return std::vector<std::string>{"verified:prefix:" + phone.substr(0, phone.size() - 4), "verified:country:KZ"};
  };
  // A real user of range +7701000 logs in; two SMS to other ranges are never verified.
  ASSERT_TRUE(send("+77010000001", kStart, limits("+77010000001"), country));
  ASSERT_EQ(verify("+77010000001", kStart, true, std::nullopt, {}, verified_in("+77010000001")).status,
            VerifyStatus::verified);
  ASSERT_TRUE(send("+77020000001", kStart + seconds(1), limits("+77020000001"), country));
  ASSERT_TRUE(send("+77030000001", kStart + seconds(2), limits("+77030000001"), country));

  // The returning user passes; a new number in their range (1 of 1 verified) too; a new number in a range nobody
  // verified in does not.
  EXPECT_TRUE(send("+77010000001", kStart + minutes(1), limits("+77010000001"), country));
  EXPECT_TRUE(send("+77010000002", kStart + minutes(1), limits("+77010000002"), country));
  const auto unknown = send("+77040000001", kStart + minutes(1), limits("+77040000001"), country);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().name, "unverified_budget");
  // The range stays healthy while 1 verified meets one fifth of its SMS: up to 5 sent; the sixth is refused.
  for (int i = 3; i <= 5; ++i) {
    ASSERT_TRUE(send("+7701000000" + std::to_string(i), kStart + minutes(2), limits("+7701000000" + std::to_string(i)),
                     country));
  }
  EXPECT_FALSE(send("+77010000006", kStart + minutes(2), limits("+77010000006"), country));
  EXPECT_TRUE(send("+77010000001", kStart + minutes(3), limits("+77010000001"), country));  // still returning
}

TEST_P(RepositoryContract, ParallelSendsOnSeveralConnectionsShareOneUnverifiedBudget) {
  constexpr int kParallel = 8;
  std::vector<std::unique_ptr<Repository>> connections;
  for (int i = 0; i < kParallel; ++i) connections.push_back(connect());
  std::atomic<int> issued{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      const auto phone = "+770" + std::to_string(i) + "0000001";  // eight ranges
      if (connections[static_cast<std::size_t>(i)]->issue_code(
              send_request(phone, kStart, {unverified_budget(phone, 3)}))) {
        ++issued;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(issued.load(), 3);
}

// A budget of more than 256 is read from per-minute totals of unverified SMS: they follow sends, refunds and
// verifications.
TEST_P(RepositoryContract, ALargeUnverifiedBudgetFollowsRefundsAndVerifications) {
  const auto phone = [](int i) { return "+7747" + std::to_string(1000000 + i); };
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(send(phone(i), kStart + seconds(i), {unverified_budget(phone(i), 300)}));
  const TimePoint later = kStart + minutes(5);  // phone(7)'s code still lives
  const auto refused = send("+77470000001", later, {unverified_budget("+77470000001", 300)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "unverified_budget");
  EXPECT_GE(refused.error().retry_after, minutes(55) - seconds(60));
  EXPECT_LE(refused.error().retry_after, minutes(56));

  ASSERT_EQ(verify(phone(7), later, true).status, VerifyStatus::verified);  // 299 unverified
  const auto request = send_request("+77470000001", later, {unverified_budget("+77470000001", 300)});
  const auto issued = repository_->issue_code(request);
  ASSERT_TRUE(issued);  // 300 again
  EXPECT_FALSE(send("+77470000002", later, {unverified_budget("+77470000002", 300)}));
  repository_->cancel_issue(request.phone_number, issued->challenge_id, request.reservation_id, true, {});
  EXPECT_TRUE(send("+77470000002", later, {unverified_budget("+77470000002", 300)}));
}

TEST_P(RepositoryContract, PruningForgetsUnverifiedSmsOutsideTheLongestWindow) {
  ASSERT_TRUE(send("+77000000001", kStart, {unverified_budget("+77000000001", 1)}));
  EXPECT_GE(repository_->prune(kStart + hours(24) + seconds(1), hours(24)), 1u);
  EXPECT_TRUE(send("+77010000001", kStart + hours(24) + seconds(2), {unverified_budget("+77010000001", 1)}));
}

TEST_P(RepositoryContract, AttemptLimitsAreCountedOnEveryTryAndARefusedTryIsNotCounted) {
  ASSERT_TRUE(send("+77000000001", kStart));
  const WindowLimit per_ip{"verify_per_ip_hour", "verify:ip:198.51.100.1", 2, hours(1)};
  auto request = verify_request("+77000000001", kStart, false);
  request.attempt_limits = {per_ip};
  EXPECT_EQ(repository_->verify_code(request).status, VerifyStatus::wrong_code);
  EXPECT_EQ(repository_->verify_code(request).status, VerifyStatus::wrong_code);
  const auto limited = repository_->verify_code(request);
  EXPECT_EQ(limited.status, VerifyStatus::limited);
  EXPECT_EQ(limited.limit_name, "verify_per_ip_hour");
  EXPECT_EQ(limited.retry_after, hours(1));
  EXPECT_EQ(events("verify:ip:198.51.100.1"), 2);
  // Nothing of the refused try reached the code: 3 tries were left, this one leaves 2.
  EXPECT_EQ(verify("+77000000001", kStart, false).attempts_left, 2);
}

TEST_P(RepositoryContract, ASuccessForgivesOnlyTheFailuresOfTheSameClient) {
  ASSERT_TRUE(send("+77000000001", kStart));
  EXPECT_EQ(verify("+77000000001", kStart, false, kFailures, "client:198.51.100.1").status, VerifyStatus::wrong_code);
  EXPECT_EQ(verify("+77000000001", kStart, false, kFailures, "client:198.51.100.1").status, VerifyStatus::wrong_code);
  EXPECT_EQ(verify("+77000000001", kStart, false, kFailures, "client:203.0.113.9").status, VerifyStatus::wrong_code);

  // Without a client lock in the request, the number lock refuses every client: a fourth try from anywhere.
  const auto locked = verify("+77000000001", kStart + minutes(1), true, kFailures, "client:198.51.100.1");
  EXPECT_EQ(locked.status, VerifyStatus::limited);
  EXPECT_EQ(locked.limit_name, "failed_verify_per_number_hour");
  EXPECT_EQ(locked.retry_after, hours(1) - minutes(1));
}

TEST_P(RepositoryContract, ASuccessClearsTheClientsOwnFailuresButNotAnotherClients) {
  const WindowLimit failures{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", 4, hours(1)};
  ASSERT_TRUE(send("+77000000001", kStart));
  verify("+77000000001", kStart, false, failures, "client:203.0.113.9");   // a guesser elsewhere
  verify("+77000000001", kStart, false, failures, "client:198.51.100.1");  // the owner's typos
  verify("+77000000001", kStart, false, failures, "client:198.51.100.1");
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 3);
  ASSERT_EQ(verify("+77000000001", kStart, true, failures, "client:198.51.100.1").status, VerifyStatus::verified);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 1);  // the guesser's failure stays
}

TEST_P(RepositoryContract, ASuccessWithoutATagClearsEveryFailure) {
  const WindowLimit failures{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", 4, hours(1)};
  ASSERT_TRUE(send("+77000000001", kStart));
  verify("+77000000001", kStart, false, failures, "client:203.0.113.9");
  verify("+77000000001", kStart, false, failures);
  ASSERT_EQ(verify("+77000000001", kStart, true, failures).status, VerifyStatus::verified);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 0);
}

// The failure locks as LimitPolicy makes them: this client's wrong codes for the number, and the number's from all.
VerifyCodeRequest verify_from(const std::string& client, TimePoint now, bool right, int client_limit,
                              int number_limit) {
  VerifyCodeRequest request;
  request.phone_number = "+77000000001";
  request.now = now;
  request.failure_tag = "client:" + client;
  request.client_failure_limit = WindowLimit{"failed_verify_per_number_address_hour",
                                             "verify-failed:number:+77000000001:client:" + client, client_limit,
                                             hours(1)};
  request.failure_limit =
      WindowLimit{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", number_limit, hours(1)};
  request.submitted_code_hash = right ? kCodeHash : kWrongHash;
  request.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), now + hours(1), now + hours(2)};
  return request;
}

TEST_P(RepositoryContract, AStrangersWrongCodesLockItsAddressAndNotTheOwners) {
  ASSERT_TRUE(send("+77000000001", kStart));
  EXPECT_EQ(repository_->verify_code(verify_from("203.0.113.9", kStart, false, 2, 10)).status,
            VerifyStatus::wrong_code);
  EXPECT_EQ(repository_->verify_code(verify_from("203.0.113.9", kStart + minutes(1), false, 2, 10)).status,
            VerifyStatus::wrong_code);
  // The stranger is locked for this number, even with the right code, until its first failure slides out.
  const auto locked = repository_->verify_code(verify_from("203.0.113.9", kStart + minutes(2), true, 2, 10));
  EXPECT_EQ(locked.status, VerifyStatus::limited);
  EXPECT_EQ(locked.limit_name, "failed_verify_per_number_address_hour");
  EXPECT_EQ(locked.retry_after, hours(1) - minutes(2));
  EXPECT_EQ(events("verify-failed:number:+77000000001:client:203.0.113.9"), 2);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 2);
  // The refused try did not spend the code: the owner, elsewhere, logs in with it.
  EXPECT_EQ(repository_->verify_code(verify_from("198.51.100.1", kStart + minutes(3), true, 2, 10)).status,
            VerifyStatus::verified);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 2);  // the stranger's failures are not forgiven
}

TEST_P(RepositoryContract, TheNumberLockRefusesClientsThatFailedAndGivesANewClientItsTry) {
  ASSERT_TRUE(send("+77000000001", kStart));
  for (const char* client : {"203.0.113.1", "203.0.113.2", "203.0.113.3"}) {
    ASSERT_EQ(repository_->verify_code(verify_from(client, kStart, false, 5, 3)).status, VerifyStatus::wrong_code);
  }
  // Three addresses, one failure each: each is under its own limit, but the number has 3 and they all failed.
  const auto refused = repository_->verify_code(verify_from("203.0.113.2", kStart + minutes(1), true, 5, 3));
  EXPECT_EQ(refused.status, VerifyStatus::limited);
  EXPECT_EQ(refused.limit_name, "failed_verify_per_number_hour");
  EXPECT_EQ(refused.retry_after, minutes(59));
  // A new address gets its try; once it failed, it is one of those the number lock refuses.
  EXPECT_EQ(repository_->verify_code(verify_from("192.0.2.50", kStart + minutes(2), false, 5, 3)).status,
            VerifyStatus::wrong_code);
  EXPECT_EQ(repository_->verify_code(verify_from("192.0.2.50", kStart + minutes(2), true, 5, 3)).limit_name,
            "failed_verify_per_number_hour");
  // And the code's own cap still holds: 4 of its 5 attempts are spent, whoever spent them.
  const auto last = repository_->verify_code(verify_from("192.0.2.51", kStart + minutes(3), false, 5, 3));
  EXPECT_EQ(last.status, VerifyStatus::wrong_code);
  EXPECT_EQ(last.attempts_left, 0);
  EXPECT_EQ(repository_->verify_code(verify_from("198.51.100.1", kStart + minutes(4), true, 5, 3)).status,
            VerifyStatus::code_locked);
}

TEST_P(RepositoryContract, ASuccessClearsTheClientsFailuresFromBothLocksAndOnlyThose) {
  ASSERT_TRUE(send("+77000000001", kStart));
  repository_->verify_code(verify_from("203.0.113.9", kStart, false, 5, 10));   // a guesser elsewhere
  repository_->verify_code(verify_from("198.51.100.1", kStart, false, 5, 10));  // the owner's typos
  repository_->verify_code(verify_from("198.51.100.1", kStart, false, 5, 10));
  ASSERT_EQ(repository_->verify_code(verify_from("198.51.100.1", kStart, true, 5, 10)).status,
            VerifyStatus::verified);
  EXPECT_EQ(events("verify-failed:number:+77000000001:client:198.51.100.1"), 0);
  EXPECT_EQ(events("verify-failed:number:+77000000001:client:203.0.113.9"), 1);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 1);
}

TEST_P(RepositoryContract, EventCountsByBucketPrefixSeeOnlyThatPrefixAndWindow) {
  ASSERT_TRUE(send("+77000000001", kStart, {}, {"sms:country:KZ", "sms:countryX", "sms:prefix:+7700000"}));
  ASSERT_TRUE(send("+77000000002", kStart + hours(2), {}, {"sms:country:KZ", "sms:country:RU"}));
  EXPECT_EQ(repository_->count_events_by_bucket("sms:country:", kStart - seconds(1)),
            (std::map<std::string, std::int64_t, std::less<>>{{"sms:country:KZ", 2}, {"sms:country:RU", 1}}));
  EXPECT_EQ(repository_->count_events_by_bucket("sms:country:", kStart + hours(1)),
            (std::map<std::string, std::int64_t, std::less<>>{{"sms:country:KZ", 1}, {"sms:country:RU", 1}}));
  EXPECT_TRUE(repository_->count_events_by_bucket("verified:", kStart - seconds(1)).empty());
}

TEST_P(RepositoryContract, TwoConnectionsEnforceOneLimit) {
  auto other = connect();  // a second instance sharing the database
  const auto cap = per_hour("sms:global", 3);
  ASSERT_TRUE(send("+77000000001", kStart, {cap}));
  ASSERT_TRUE(other->issue_code(send_request("+77000000002", kStart, {cap})));
  ASSERT_TRUE(send("+77000000003", kStart, {cap}));
  EXPECT_FALSE(other->issue_code(send_request("+77000000004", kStart, {cap})));
  EXPECT_FALSE(send("+77000000005", kStart, {cap}));
}

TEST_P(RepositoryContract, ParallelSendsOnSeveralConnectionsNeverPassTheLimit) {
  constexpr int kParallel = 8;
  const auto cap = per_hour("sms:global", 3);
  std::vector<std::unique_ptr<Repository>> connections;
  for (int i = 0; i < kParallel; ++i) connections.push_back(connect());
  std::atomic<int> issued{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      const auto phone = "+7700000001" + std::to_string(i);
      if (connections[static_cast<std::size_t>(i)]->issue_code(send_request(phone, kStart, {cap}))) ++issued;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(issued.load(), 3);
  EXPECT_EQ(events("sms:global"), 3);
}

// A limit of more than 256 events (the global caps) may be checked from per-minute totals instead of a walk over
// every event: it must still refuse at the limit, reopen when the filling minute leaves the window, and follow
// refunds.
TEST_P(RepositoryContract, LargeLimitsAreEnforcedAndFollowRefunds) {
  const WindowLimit cap{"global_hour", "sms:global", 300, hours(1)};
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(send("+7747" + std::to_string(1000000 + i), kStart + seconds(i), {cap})) << i;
  }
  const TimePoint later = kStart + minutes(10);
  auto refused = send("+77470000001", later, {cap});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "global_hour");
  // The window reopens when the 300th most recent event (or the minute slot holding it) leaves it, about 50 minutes
  // on: never later than an exact count would say, and early by at most one minute.
  EXPECT_GE(refused.error().retry_after, minutes(50) - seconds(60));
  EXPECT_LE(refused.error().retry_after, minutes(51));

  // A refunded send (the SMS failed) frees its place too.
  auto request = send_request("+77470000002", later, {WindowLimit{"global_hour", "sms:global", 301, hours(1)}});
  auto issued = repository_->issue_code(request);
  ASSERT_TRUE(issued);
  EXPECT_FALSE(send("+77470000003", later, {WindowLimit{"global_hour", "sms:global", 301, hours(1)}}));
  repository_->cancel_issue(request.phone_number, issued->challenge_id, request.reservation_id, true, {});
  EXPECT_TRUE(send("+77470000003", later, {WindowLimit{"global_hour", "sms:global", 301, hours(1)}}));

  // An hour after the first sends, the window has room again.
  EXPECT_TRUE(send("+77470000004", kStart + hours(1) + minutes(6), {cap}));
}

// ---- refresh rotation ----

TEST_P(RepositoryContract, RotationReplacesTheTokenInTheSameFamily) {
  const Login first = login("+77000000001", kStart);
  Bytes second;
  const auto rotated = rotate(first.token, kStart + minutes(1), &second);
  EXPECT_EQ(rotated.status, RotateStatus::rotated);
  EXPECT_EQ(rotated.session_id, first.session_id);
  EXPECT_EQ(rotated.user_id, first.user_id);
  EXPECT_EQ(rotated.phone_number, "+77000000001");
  EXPECT_EQ(repository_->find_session(first.session_id)->last_used_at, kStart + minutes(1));
  Bytes third;
  EXPECT_EQ(rotate(second, kStart + minutes(2), &third).status, RotateStatus::rotated);
  EXPECT_EQ(repository_->find_session(first.session_id)->idle_expires_at, kStart + minutes(2) + hours(1));
}

TEST_P(RepositoryContract, AnUnknownTokenIsRefused) {
  login("+77000000001", kStart);
  const auto unknown = rotate(random_bytes(32), kStart);
  EXPECT_EQ(unknown.status, RotateStatus::unknown_token);
  EXPECT_TRUE(unknown.session_id.empty());
}

TEST_P(RepositoryContract, AReplayWithinTheGraceGetsASiblingWithoutRenewingTheGrace) {
  const Login first = login("+77000000001", kStart);
  Bytes child;
  ASSERT_EQ(rotate(first.token, kStart, &child).status, RotateStatus::rotated);
  Bytes sibling;
  EXPECT_EQ(rotate(first.token, kStart + seconds(8), &sibling).status, RotateStatus::rotated_in_grace);
  EXPECT_EQ(rotate(sibling, kStart + seconds(9)).status, RotateStatus::rotated);  // the sibling is a live token
  // 11 s after the first rotation: reuse, whatever the sibling did.
  const auto reuse = rotate(first.token, kStart + seconds(11));
  EXPECT_EQ(reuse.status, RotateStatus::reuse_detected);
  EXPECT_EQ(rotate(child, kStart + seconds(12)).status, RotateStatus::session_revoked);
  const auto session = repository_->find_session(first.session_id);
  EXPECT_EQ(session->revoked_reason, "reuse_detected");
  EXPECT_EQ(session->revoked_at, kStart + seconds(11));
}

TEST_P(RepositoryContract, AFurtherReplayWithinTheGraceRevokesTheFamilyInsteadOfASecondSibling) {
  const Login first = login("+77000000001", kStart);
  Bytes child;
  ASSERT_EQ(rotate(first.token, kStart, &child).status, RotateStatus::rotated);
  Bytes sibling;
  ASSERT_EQ(rotate(first.token, kStart + seconds(1), &sibling).status, RotateStatus::rotated_in_grace);
  // A third presentation of R0, still inside the grace: no third chain, the family ends.
  Bytes third;
  EXPECT_EQ(rotate(first.token, kStart + seconds(2), &third).status, RotateStatus::reuse_detected);
  for (const Bytes& token : {child, sibling, third}) {
    const auto after = rotate(token, kStart + seconds(3));
    EXPECT_TRUE(after.status == RotateStatus::session_revoked || after.status == RotateStatus::unknown_token);
  }
  EXPECT_EQ(rotate(child, kStart + seconds(3)).revoked_reason, "reuse_detected");
  EXPECT_EQ(repository_->find_session(first.session_id)->revoked_at, kStart + seconds(2));
}

TEST_P(RepositoryContract, EachRotatedTokenHasItsOwnSibling) {
  const Login first = login("+77000000001", kStart);
  Bytes child;
  ASSERT_EQ(rotate(first.token, kStart, &child).status, RotateStatus::rotated);
  ASSERT_EQ(rotate(first.token, kStart + seconds(1)).status, RotateStatus::rotated_in_grace);
  // The child's own rotation and retry: the retry is the child's sibling, not R0's second one.
  Bytes grandchild;
  ASSERT_EQ(rotate(child, kStart + seconds(2), &grandchild).status, RotateStatus::rotated);
  EXPECT_EQ(rotate(child, kStart + seconds(3)).status, RotateStatus::rotated_in_grace);
  EXPECT_EQ(rotate(grandchild, kStart + seconds(4)).status, RotateStatus::rotated);
}

TEST_P(RepositoryContract, ParallelReplaysWithinTheGraceGiveOneSiblingAndEndTheFamily) {
  const Login first = login("+77000000001", kStart);
  Bytes child;
  ASSERT_EQ(rotate(first.token, kStart, &child).status, RotateStatus::rotated);
  constexpr int kParallel = 8;
  std::vector<std::unique_ptr<Repository>> connections;
  for (int i = 0; i < kParallel; ++i) connections.push_back(connect());
  std::atomic<int> siblings{0};
  std::atomic<int> reuse{0};
  std::atomic<int> revoked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      RotateRefreshTokenRequest request;
      request.presented_hash = first.token;
      request.now = kStart + seconds(1);
      request.new_token_hash = random_bytes(32);
      request.new_token_expires_at = kStart + hours(1);
      request.reuse_grace = seconds(10);
      const auto outcome = connections[static_cast<std::size_t>(i)]->rotate_refresh_token(request);
      if (outcome.status == RotateStatus::rotated_in_grace) ++siblings;
      if (outcome.status == RotateStatus::reuse_detected) ++reuse;
      if (outcome.status == RotateStatus::session_revoked) ++revoked;
    });
  }
  for (auto& thread : threads) thread.join();
  // Serialized by the token's lock: one sibling, one replay that ends the family, the rest find it ended.
  EXPECT_EQ(siblings.load(), 1);
  EXPECT_EQ(reuse.load(), 1);
  EXPECT_EQ(revoked.load(), kParallel - 2);
  EXPECT_EQ(repository_->find_session(first.session_id)->revoked_reason, "reuse_detected");
  EXPECT_EQ(rotate(child, kStart + seconds(2)).status, RotateStatus::session_revoked);
}

TEST_P(RepositoryContract, WithoutAGraceAReplayRevokesTheFamily) {
  const Login first = login("+77000000001", kStart);
  Bytes child;
  ASSERT_EQ(rotate(first.token, kStart, &child, Milliseconds::zero()).status, RotateStatus::rotated);
  EXPECT_EQ(rotate(first.token, kStart, nullptr, Milliseconds::zero()).status, RotateStatus::reuse_detected);
  const auto revoked = rotate(child, kStart, nullptr, Milliseconds::zero());
  EXPECT_EQ(revoked.status, RotateStatus::session_revoked);
  EXPECT_EQ(revoked.revoked_reason, "reuse_detected");
}

TEST_P(RepositoryContract, IdleAndAbsoluteLifetimesAreEnforced) {
  const Login idle = login("+77000000001", kStart, minutes(10), hours(1));
  EXPECT_EQ(rotate(idle.token, kStart + minutes(10)).status, RotateStatus::idle_expired);
  const Login old = login("+77000000002", kStart, hours(2), hours(1));
  EXPECT_EQ(rotate(old.token, kStart + hours(1)).status, RotateStatus::session_expired);
}

TEST_P(RepositoryContract, ConcurrentRotationsOfOneTokenNeverForkTheFamily) {
  const Login first = login("+77000000001", kStart);
  constexpr int kParallel = 8;
  std::vector<std::unique_ptr<Repository>> connections;
  for (int i = 0; i < kParallel; ++i) connections.push_back(connect());
  std::atomic<int> rotated{0};
  std::atomic<int> reuse{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      RotateRefreshTokenRequest request;
      request.presented_hash = first.token;
      request.now = kStart + seconds(1);
      request.new_token_hash = random_bytes(32);
      request.new_token_expires_at = kStart + hours(1);
      request.reuse_grace = Milliseconds::zero();
      const auto outcome = connections[static_cast<std::size_t>(i)]->rotate_refresh_token(request);
      if (outcome.status == RotateStatus::rotated) ++rotated;
      if (outcome.status == RotateStatus::reuse_detected || outcome.status == RotateStatus::session_revoked) ++reuse;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(reuse.load(), kParallel - 1);
  EXPECT_TRUE(repository_->find_session(first.session_id)->revoked_at);
}

// ---- logout, revocation, blocking ----

TEST_P(RepositoryContract, RevokingOneSessionEndsOnlyThatOne) {
  const Login a = login("+77000000001", kStart);
  const Login b = login("+77000000001", kStart + seconds(1));
  ASSERT_EQ(a.user_id, b.user_id);
  EXPECT_TRUE(repository_->revoke_session(a.user_id, a.session_id, kStart + minutes(1), "logout"));
  EXPECT_FALSE(repository_->revoke_session(a.user_id, a.session_id, kStart + minutes(1), "logout"));  // already
  EXPECT_FALSE(repository_->revoke_session("someone-else", b.session_id, kStart + minutes(1), "logout"));
  const auto ended = repository_->find_session(a.session_id);
  EXPECT_EQ(ended->revoked_reason, "logout");
  EXPECT_FALSE(ended->open_at(kStart + minutes(1)));
  EXPECT_EQ(rotate(a.token, kStart + minutes(2)).status, RotateStatus::session_revoked);
  EXPECT_EQ(rotate(b.token, kStart + minutes(2)).status, RotateStatus::rotated);
}

TEST_P(RepositoryContract, RevokingAllSessionsOfAUserLeavesOtherUsersAlone) {
  const Login a = login("+77000000001", kStart);
  login("+77000000001", kStart + seconds(1));
  const Login other = login("+77000000002", kStart);
  EXPECT_EQ(repository_->revoke_user_sessions(a.user_id, kStart + minutes(1), "logout_all"), 2);
  EXPECT_EQ(repository_->revoke_user_sessions(a.user_id, kStart + minutes(1), "logout_all"), 0);
  EXPECT_TRUE(repository_->list_sessions(SessionListQuery{a.user_id, kStart + minutes(1), 100}).empty());
  const auto all = repository_->list_sessions(SessionListQuery{a.user_id, std::nullopt, 100});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].created_at, kStart + seconds(1));  // newest first
  EXPECT_EQ(all[0].revoked_reason, "logout_all");
  EXPECT_EQ(rotate(other.token, kStart + minutes(2)).status, RotateStatus::rotated);
}

TEST_P(RepositoryContract, BlockingEndsEverySessionAndUnblockingRevivesNone) {
  const Login first = login("+77000000001", kStart);
  const auto blocked = repository_->set_user_blocked(first.user_id, true, kStart + minutes(1));
  ASSERT_TRUE(blocked);
  EXPECT_TRUE(blocked->changed);
  EXPECT_EQ(blocked->sessions_revoked, 1);
  EXPECT_EQ(repository_->find_session(first.session_id)->revoked_reason, "user_blocked");
  EXPECT_FALSE(repository_->set_user_blocked(first.user_id, true, kStart + minutes(1))->changed);
  EXPECT_TRUE(repository_->find_user_by_id(first.user_id)->blocked);
  const auto listed = repository_->list_users(UserListQuery{true, 100});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, first.user_id);

  EXPECT_TRUE(repository_->set_user_blocked(first.user_id, false, kStart + minutes(2))->changed);
  EXPECT_FALSE(repository_->find_user_by_id(first.user_id)->blocked);
  EXPECT_EQ(rotate(first.token, kStart + minutes(3)).status, RotateStatus::session_revoked);
  EXPECT_FALSE(repository_->set_user_blocked("no-such-user", true, kStart));
}

TEST_P(RepositoryContract, UsersAreListedOldestFirst) {
  login("+77000000002", kStart);
  login("+77000000001", kStart + seconds(1));
  const auto users = repository_->list_users(UserListQuery{false, 100});
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].phone_number, "+77000000002");
  EXPECT_EQ(repository_->list_users(UserListQuery{false, 1}).size(), 1u);
}

// ---- pruning ----

TEST_P(RepositoryContract, PruningForgetsOnlyWhatNoWindowOrLifetimeNeeds) {
  ASSERT_TRUE(send("+77000000001", kStart, {per_hour("b", 10)}));
  ASSERT_TRUE(send("+77000000002", kStart + hours(23), {per_hour("b", 10)}));
  const auto removed = repository_->prune(kStart + hours(24) + seconds(1), hours(24));
  EXPECT_GE(removed, 1u);
  EXPECT_EQ(events("b", kStart - hours(48)), 1);  // the event inside the longest window stays
  // The code sent an hour before is kept (a late verify reads "expired", not "no code").
  EXPECT_EQ(verify("+77000000002", kStart + hours(24) + seconds(2), true).status, VerifyStatus::expired);
}

TEST_P(RepositoryContract, RefreshTokensOfEndedFamiliesArePruned) {
  const Login ended = login("+77000000001", kStart);
  const Login open = login("+77000000002", kStart);
  ASSERT_TRUE(repository_->revoke_session(ended.user_id, ended.session_id, kStart, "logout"));
  EXPECT_EQ(repository_->prune_refresh_tokens(kStart + seconds(1)), 1u);
  EXPECT_EQ(rotate(ended.token, kStart + minutes(1)).status, RotateStatus::unknown_token);
  EXPECT_EQ(rotate(open.token, kStart + minutes(1)).status, RotateStatus::rotated);
  EXPECT_TRUE(repository_->find_session(ended.session_id));  // the session row stays, as history
}

// ---- the SMS message log ----

class SmsLogContract : public RepositoryContract {
 protected:
  void sent(const std::string& id, const std::string& phone, std::int64_t at_ms) {
    repository_->record_sent_sms(SmsMessageRecord{.message_id = id,
                                                  .phone_number = phone,
                                                  .status = "SENT",
                                                  .sent_at = from_unix_ms(at_ms),
                                                  .gateway = "mobizon"});
  }
  SmsMessageRecord only(const std::string& phone) {
    auto records = repository_->recent_sms(phone, 10);
    EXPECT_EQ(records.size(), 1u);
    return records.at(0);
  }
};

TEST_P(SmsLogContract, RecordsAndListsNewestFirst) {
  sent("1", "+77472367503", 1000);
  sent("2", "+77472367503", 2000);
  sent("3", "+77012345678", 3000);
  sent("1", "+77000000000", 9000);  // a repeated id keeps the first record
  const auto listed = repository_->recent_sms("+77472367503", 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].message_id, "2");
  EXPECT_EQ(listed[1].message_id, "1");
  EXPECT_EQ(listed[1].status, "SENT");
  EXPECT_FALSE(listed[1].final);
  EXPECT_EQ(to_unix_ms(listed[1].sent_at), 1000);
  EXPECT_EQ(repository_->recent_sms("+77472367503", 1).size(), 1u);
}

TEST_P(SmsLogContract, ClaimsNonFinalMessagesLeastRecentlyCheckedFirst) {
  for (int i = 1; i <= 5; ++i) sent(std::to_string(i), "+77472367503", 1000 * i);
  const auto first = repository_->claim_sms_to_check(from_unix_ms(10000), from_unix_ms(0), 3, "mobizon");
  EXPECT_EQ(first, (std::vector<std::string>{"1", "2", "3"}));
  const auto second = repository_->claim_sms_to_check(from_unix_ms(11000), from_unix_ms(0), 3, "mobizon");
  EXPECT_EQ(second, (std::vector<std::string>{"4", "5", "1"}));
  // Final messages and those sent before the tracking window are not claimed.
  repository_->apply_sms_statuses({{"4", "DELIVRD", true, 1, ""}}, from_unix_ms(12000));
  const auto third = repository_->claim_sms_to_check(from_unix_ms(13000), from_unix_ms(1500), 10, "mobizon");
  EXPECT_EQ(third, (std::vector<std::string>{"2", "3", "5"}));
}

TEST_P(SmsLogContract, AFinalStatusIsNeverReplaced) {
  sent("1", "+77472367503", 1000);
  const auto applied = repository_->apply_sms_statuses({{"1", "ACCEPTD", false, 0, ""},
                                                        {"1", "DELIVRD", true, 2, "2026-01-15 11:42:08"},
                                                        {"1", "UNDELIV", true, 0, ""},
                                                        {"404", "DELIVRD", true, 0, ""}},
                                                       from_unix_ms(5000));
  EXPECT_EQ(applied, (std::vector<SmsStatusApplied>{SmsStatusApplied::changed, SmsStatusApplied::became_final,
                                                    SmsStatusApplied::unchanged, SmsStatusApplied::unknown_message}));
  const auto record = only("+77472367503");
  EXPECT_EQ(record.status, "DELIVRD");
  EXPECT_TRUE(record.final);
  EXPECT_EQ(record.segments, 2);
  EXPECT_EQ(record.gateway_updated_at, "2026-01-15 11:42:08");
  EXPECT_EQ(to_unix_ms(record.status_changed_at), 5000);
}

TEST_P(SmsLogContract, TheSameStatusAgainIsUnchanged) {
  sent("1", "+77472367503", 1000);
  EXPECT_EQ(repository_->apply_sms_statuses({{"1", "NEW", false, 0, ""}}, from_unix_ms(2000))[0],
            SmsStatusApplied::changed);
  EXPECT_EQ(repository_->apply_sms_statuses({{"1", "NEW", false, 0, ""}}, from_unix_ms(3000))[0],
            SmsStatusApplied::unchanged);
  EXPECT_EQ(to_unix_ms(only("+77472367503").status_changed_at), 2000);
}

TEST_P(SmsLogContract, EachMessageKeepsItsGatewayAndOnlyThatGatewaysMessagesAreClaimed) {
  sent("m1", "+77472367503", 1000);
  repository_->record_sent_sms(SmsMessageRecord{.message_id = "r1",
                                                .phone_number = "+77472367503",
                                                .status = "SENT",
                                                .sent_at = from_unix_ms(2000),
                                                .gateway = "http"});
  const auto listed = repository_->recent_sms("+77472367503", 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].gateway, "http");
  EXPECT_EQ(listed[1].gateway, "mobizon");
  EXPECT_EQ(repository_->claim_sms_to_check(from_unix_ms(5000), from_unix_ms(0), 10, "mobizon"),
            std::vector<std::string>{"m1"});
  EXPECT_EQ(repository_->claim_sms_to_check(from_unix_ms(5000), from_unix_ms(0), 10, "http"),
            std::vector<std::string>{"r1"});
}

TEST_P(SmsLogContract, AWebhookEventAppliesOnce) {
  sent("1", "+77472367503", 1000);
  const SmsDeliveryStatus delivered{"1", "DELIVRD", true, 1, ""};
  EXPECT_EQ(repository_->apply_sms_report("26", delivered, from_unix_ms(2000)), SmsStatusApplied::became_final);
  EXPECT_EQ(repository_->apply_sms_report("26", delivered, from_unix_ms(3000)), SmsStatusApplied::duplicate_event);
  // An event for a message we do not know is remembered too: replayed with other data, it changes nothing.
  EXPECT_EQ(repository_->apply_sms_report("27", {"999", "DELIVRD", true, 1, ""}, from_unix_ms(3000)),
            SmsStatusApplied::unknown_message);
  sent("2", "+77012345678", 3500);
  EXPECT_EQ(repository_->apply_sms_report("27", {"2", "UNDELIV", true, 1, ""}, from_unix_ms(4000)),
            SmsStatusApplied::duplicate_event);
  EXPECT_EQ(only("+77012345678").status, "SENT");
}

TEST_P(SmsLogContract, PruneForgetsOldMessagesAndEvents) {
  sent("1", "+77472367503", 1000);
  sent("2", "+77472367503", 5000);
  repository_->apply_sms_report("26", {"2", "DELIVRD", true, 1, ""}, from_unix_ms(6000));
  EXPECT_EQ(repository_->prune_sms(from_unix_ms(2000), from_unix_ms(7000)), 2u);
  const auto listed = repository_->recent_sms("+77472367503", 10);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].message_id, "2");
  // The event id was forgotten, so it could apply again (to a non-final message).
  sent("3", "+77472367503", 8000);
  EXPECT_EQ(repository_->apply_sms_report("26", {"3", "ACCEPTD", false, 1, ""}, from_unix_ms(9000)),
            SmsStatusApplied::changed);
}

// ---- through the storage engine: the same contract, awaited from I/O threads ----

class EngineContract : public RepositoryContract {};

TEST_P(EngineContract, ParallelAwaitedVerificationsOfOneCodeLogInExactlyOnce) {
  ASSERT_TRUE(send("+77000000001", kStart));
  StorageEngine storage(database_->backend());
  boost::asio::io_context io;
  std::atomic<int> verified{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    boost::asio::co_spawn(io, storage.verify_code(verify_request("+77000000001", kStart, true)),
                          [&](std::exception_ptr failure, VerifyCodeResult outcome) {
                            if (failure) return;
                            ++answered;
                            if (outcome.status == VerifyStatus::verified) ++verified;
                          });
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&io] { io.run(); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(answered.load(), 8);
  EXPECT_EQ(verified.load(), 1);
}

TEST_P(EngineContract, AReadThroughTheEngineSeesTheWriteItAwaitedBefore) {
  StorageEngine storage(database_->backend());
  ASSERT_TRUE(send("+77000000001", kStart));
  const auto request = verify_request("+77000000001", kStart, true);
  ASSERT_EQ(run_to_completion(storage.verify_code(request)).status, VerifyStatus::verified);
  const auto session = run_to_completion(storage.find_session(request.session.session_id));  // a read connection
  ASSERT_TRUE(session);
  EXPECT_TRUE(session->open_at(kStart));
  const auto revoked = run_to_completion(storage.revoke_session(session->user_id, session->id, kStart, "logout"));
  EXPECT_TRUE(revoked);
  EXPECT_TRUE(run_to_completion(storage.find_session(request.session.session_id))->revoked_at);
}

std::string engine_name(const ::testing::TestParamInfo<ContractEngine>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Engines, RepositoryContract, ::testing::ValuesIn(engines()), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, SmsLogContract, ::testing::ValuesIn(engines()), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, EngineContract, ::testing::ValuesIn(engines()), engine_name);

}  // namespace
}  // namespace sms_auth
