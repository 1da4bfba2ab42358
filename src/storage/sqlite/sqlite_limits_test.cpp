// The limits as the SQLite repository keeps them: sliding windows with exact Retry-After, the conversion rule and
// how a blocked range reopens, refunds, same-client forgiveness of failures, and one limit across two connections
// (two instances) on one file. Time is passed in, so windows are crossed without waiting.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart = from_unix_ms(1'700'000'000'000);

class SqliteLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("sms-auth-limits-" + random_uuid() + ".db");
    repository_ = std::make_unique<SqliteRepository>(path_.string());
    repository_->migrate();
  }
  void TearDown() override {
    repository_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  static IssueCodeRequest send_request(const std::string& phone, TimePoint now, std::vector<WindowLimit> limits,
                                       std::vector<std::string> tallies = {}) {
    IssueCodeRequest request;
    request.phone_number = phone;
    request.now = now;
    request.new_seed = Bytes(16, 1);
    request.new_code_hash = Bytes(32, 2);
    request.new_expires_at = now + minutes(5);
    request.limits = std::move(limits);
    request.tallies = std::move(tallies);
    request.reservation_id = random_uuid();
    return request;
  }

  result<IssuedCode, LimitExceeded> send(const std::string& phone, TimePoint now, std::vector<WindowLimit> limits,
                                         std::vector<std::string> tallies = {}) {
    return repository_->issue_code(send_request(phone, now, std::move(limits), std::move(tallies)));
  }

  VerifyCodeResult verify(const std::string& phone, TimePoint now, bool right, std::optional<WindowLimit> failures,
                          std::string tag = {}, std::vector<std::string> success_tallies = {}) {
    VerifyCodeRequest request;
    request.phone_number = phone;
    request.now = now;
    request.failure_limit = std::move(failures);
    request.failure_tag = std::move(tag);
    request.success_tallies = std::move(success_tallies);
    request.matches = [right](const StoredCode&) { return right; };
    request.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), now + hours(1), now + hours(2)};
    return repository_->verify_code(request);
  }

  std::int64_t events(const std::string& bucket, TimePoint since = kStart - hours(48)) {
    const auto counts = repository_->count_events_by_bucket(bucket, since);
    const auto it = counts.find(bucket);
    return it == counts.end() ? 0 : it->second;
  }

  std::filesystem::path path_;
  std::unique_ptr<SqliteRepository> repository_;
};

WindowLimit per_hour(std::string bucket, int limit) {
  return {"per_hour", std::move(bucket), limit, hours(1)};
}

WindowLimit conversion(std::string prefix, int samples, double ratio, seconds window) {
  return {"conversion_prefix",
          "sms:prefix:" + prefix,
          samples,
          window,
          false,
          ConversionRule{"verified:prefix:" + prefix, ratio}};
}

TEST_F(SqliteLimits, OnePastTheLimitIsRefusedUntilTheFirstEventSlidesOut) {
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

  EXPECT_FALSE(send("+77000000004", kStart + hours(1) - std::chrono::milliseconds(1), {limit}));
  EXPECT_TRUE(send("+77000000004", kStart + hours(1), {limit}));
  EXPECT_FALSE(send("+77000000005", kStart + hours(1), {limit}));  // the second event is still inside
}

TEST_F(SqliteLimits, TheFirstRefusingLimitAnswersAndNothingIsCounted) {
  ASSERT_TRUE(send("+77000000001", kStart, {per_hour("a", 5), per_hour("b", 1)}));
  const auto refused = send("+77000000002", kStart, {{"first", "a", 5, hours(1)}, {"second", "b", 1, hours(1)}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "second");
  EXPECT_EQ(events("a"), 1);
}

TEST_F(SqliteLimits, AFailedSendIsRefundedWithItsTallies) {
  const auto request = send_request("+77000000001", kStart, {per_hour("b", 1)}, {"sms:country:KZ"});
  const auto issued = repository_->issue_code(request);
  ASSERT_TRUE(issued);
  EXPECT_EQ(events("b"), 1);
  EXPECT_EQ(events("sms:country:KZ"), 1);
  repository_->cancel_issue("+77000000001", issued->challenge_id, request.reservation_id, true, {});
  EXPECT_EQ(events("b"), 0);
  EXPECT_EQ(events("sms:country:KZ"), 0);
  EXPECT_TRUE(send("+77000000001", kStart, {per_hour("b", 1)}));
}

TEST_F(SqliteLimits, ARangeThatDoesNotConvertIsRefusedAfterTheSample) {
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

TEST_F(SqliteLimits, VerificationsInTheRangeLiftTheConversionRule) {
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

TEST_F(SqliteLimits, ABlockedRangeReopensWhenTheWindowMovesOnAndLetsOnlyATrickleThrough) {
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

  EXPECT_FALSE(send("+77000000004", reopens - std::chrono::milliseconds(1), {velocity, watch}));
  EXPECT_TRUE(send("+77000000004", reopens, {velocity, watch}));
  // The new send fills the sample again: the next one waits for the next old send to leave.
  const auto again = send("+77000000005", reopens, {velocity, watch});
  ASSERT_FALSE(again);
  EXPECT_EQ(reopens + again.error().retry_after, kStart + hours(1) + window);
}

TEST_F(SqliteLimits, ASuccessForgivesOnlyTheFailuresOfTheSameClient) {
  const WindowLimit failures{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", 3, hours(1)};
  ASSERT_TRUE(send("+77000000001", kStart, {}));
  EXPECT_EQ(verify("+77000000001", kStart, false, failures, "client:198.51.100.1").status, VerifyStatus::wrong_code);
  EXPECT_EQ(verify("+77000000001", kStart, false, failures, "client:198.51.100.1").status, VerifyStatus::wrong_code);
  EXPECT_EQ(verify("+77000000001", kStart, false, failures, "client:203.0.113.9").status, VerifyStatus::wrong_code);

  // The lock is on the number, whoever failed: a fourth try from anywhere is refused before any check.
  const auto locked = verify("+77000000001", kStart + minutes(1), true, failures, "client:198.51.100.1");
  EXPECT_EQ(locked.status, VerifyStatus::limited);
  EXPECT_EQ(locked.limit_name, "failed_verify_per_number_hour");
  EXPECT_EQ(locked.retry_after, hours(1) - minutes(1));
}

TEST_F(SqliteLimits, ASuccessClearsTheClientsOwnFailuresButNotAnotherClients) {
  const WindowLimit failures{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", 4, hours(1)};
  ASSERT_TRUE(send("+77000000001", kStart, {}));
  verify("+77000000001", kStart, false, failures, "client:203.0.113.9");   // a guesser elsewhere
  verify("+77000000001", kStart, false, failures, "client:198.51.100.1");  // the owner's typos
  verify("+77000000001", kStart, false, failures, "client:198.51.100.1");
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 3);
  ASSERT_EQ(verify("+77000000001", kStart, true, failures, "client:198.51.100.1").status, VerifyStatus::verified);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 1);  // the guesser's failure stays
}

TEST_F(SqliteLimits, ASuccessWithoutATagClearsEveryFailure) {
  const WindowLimit failures{"failed_verify_per_number_hour", "verify-failed:number:+77000000001", 4, hours(1)};
  ASSERT_TRUE(send("+77000000001", kStart, {}));
  verify("+77000000001", kStart, false, failures, "client:203.0.113.9");
  verify("+77000000001", kStart, false, failures);
  ASSERT_EQ(verify("+77000000001", kStart, true, failures).status, VerifyStatus::verified);
  EXPECT_EQ(events("verify-failed:number:+77000000001"), 0);
}

TEST_F(SqliteLimits, EventCountsByBucketPrefixSeeOnlyThatPrefixAndWindow) {
  ASSERT_TRUE(send("+77000000001", kStart, {}, {"sms:country:KZ", "sms:countryX", "sms:prefix:+7700000"}));
  ASSERT_TRUE(send("+77000000002", kStart + hours(2), {}, {"sms:country:KZ", "sms:country:RU"}));
  EXPECT_EQ(repository_->count_events_by_bucket("sms:country:", kStart - seconds(1)),
            (std::map<std::string, std::int64_t, std::less<>>{{"sms:country:KZ", 2}, {"sms:country:RU", 1}}));
  EXPECT_EQ(repository_->count_events_by_bucket("sms:country:", kStart + hours(1)),
            (std::map<std::string, std::int64_t, std::less<>>{{"sms:country:KZ", 1}, {"sms:country:RU", 1}}));
  EXPECT_TRUE(repository_->count_events_by_bucket("verified:", kStart - seconds(1)).empty());
}

TEST_F(SqliteLimits, TwoConnectionsOnOneFileEnforceOneLimit) {
  SqliteRepository other(path_.string());  // a second instance sharing the database
  const auto cap = per_hour("sms:global", 3);
  ASSERT_TRUE(send("+77000000001", kStart, {cap}));
  ASSERT_TRUE(other.issue_code(send_request("+77000000002", kStart, {cap})));
  ASSERT_TRUE(send("+77000000003", kStart, {cap}));
  EXPECT_FALSE(other.issue_code(send_request("+77000000004", kStart, {cap})));
  EXPECT_FALSE(send("+77000000005", kStart, {cap}));
}

// A limit of more than 256 events (the global caps) is checked from per-minute totals instead of a walk over every
// event: it must still refuse at the limit, reopen when the filling minute leaves the window, and follow refunds.
TEST_F(SqliteLimits, LargeLimitsAreEnforcedFromMinuteTotalsAndFollowRefunds) {
  const WindowLimit cap{"global_hour", "sms:global", 300, hours(1)};
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(send("+7747" + std::to_string(1000000 + i), kStart + seconds(i), {cap})) << i;
  }
  const TimePoint later = kStart + minutes(10);
  auto refused = send("+77470000001", later, {cap});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().name, "global_hour");
  // The window reopens when the minute slot holding the 300th most recent event leaves it, about 50 minutes on:
  // never later than an exact count would say, and early by at most one minute.
  EXPECT_GE(refused.error().retry_after, minutes(50) - seconds(60));
  EXPECT_LE(refused.error().retry_after, minutes(51));

  // A refunded send (the SMS failed) frees its place in the totals too.
  auto request = send_request("+77470000002", later, {WindowLimit{"global_hour", "sms:global", 301, hours(1)}});
  auto issued = repository_->issue_code(request);
  ASSERT_TRUE(issued);
  EXPECT_FALSE(send("+77470000003", later, {WindowLimit{"global_hour", "sms:global", 301, hours(1)}}));
  repository_->cancel_issue(request.phone_number, issued->challenge_id, request.reservation_id, true, {});
  EXPECT_TRUE(send("+77470000003", later, {WindowLimit{"global_hour", "sms:global", 301, hours(1)}}));

  // An hour after the first sends, the window has room again.
  EXPECT_TRUE(send("+77470000004", kStart + hours(1) + minutes(6), {cap}));
}

}  // namespace
}  // namespace sms_auth
