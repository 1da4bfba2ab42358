// verify-code's decisions without a database: limits first, no code, expiry, the attempt budget, the comparison,
// blocked accounts.
#include "auth/verify_rules.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kNow = from_unix_ms(1'700'000'000'000);

StoredCode live_code(int attempts = 0, int max_attempts = 5) {
  return StoredCode{"challenge", Bytes(32, 2), kNow + minutes(5), attempts, max_attempts, false};
}

VerifyCodeRequest request_with_failure_locks() {
  VerifyCodeRequest request;
  request.attempt_limits = {{"verify_per_ip_hour", "verify:ip:1", 30, hours(1)}};
  request.client_failure_limit =
      WindowLimit{"failed_verify_per_number_address_hour", "verify-failed:number:+1:client:1", 10, hours(1)};
  request.failure_limit = WindowLimit{"failed_verify_per_number_hour", "verify-failed:number:+1", 50, hours(1)};
  return request;
}

TEST(VerifyRules, TheClientsFailureLockIsCheckedAfterTheAttemptLimitsAndNeverCountedThere) {
  const auto checks = verify_checked_limits(request_with_failure_locks());
  ASSERT_EQ(checks.in_order.size(), 2u);
  EXPECT_EQ(checks.in_order[0].name, "verify_per_ip_hour");
  EXPECT_TRUE(checks.in_order[0].count);
  EXPECT_EQ(checks.in_order[1].name, "failed_verify_per_number_address_hour");
  EXPECT_FALSE(checks.in_order[1].count);
  // The number-wide lock is checked apart, and so is whether this client failed at all (one event in its bucket).
  ASSERT_TRUE(checks.number_lock);
  EXPECT_EQ(checks.number_lock->limit, 50);
  EXPECT_FALSE(checks.number_lock->count);
  ASSERT_TRUE(checks.client_has_failed);
  EXPECT_EQ(checks.client_has_failed->bucket, "verify-failed:number:+1:client:1");
  EXPECT_EQ(checks.client_has_failed->limit, 1);
  EXPECT_FALSE(checks.client_has_failed->count);
  EXPECT_EQ(checks.all().size(), 4u);  // every bucket, for an engine that locks them first
}

TEST(VerifyRules, AWrongCodeCountsInTheClientsBucketAndTheNumbers) {
  const auto counted = verify_failure_limits(request_with_failure_locks());
  ASSERT_EQ(counted.size(), 2u);
  EXPECT_EQ(counted[0].bucket, "verify-failed:number:+1:client:1");
  EXPECT_EQ(counted[1].bucket, "verify-failed:number:+1");
  EXPECT_TRUE(counted[0].count && counted[1].count);
}

TEST(VerifyRules, TheNumberLockRefusesOnlyClientsThatFailedForTheNumber) {
  const LimitExceeded number_lock{"failed_verify_per_number_hour", minutes(40), hours(1)};
  // A stranger who failed: refused, with the number lock's wait.
  const auto stranger = verify_refusal({std::nullopt, number_lock, false});
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->name, "failed_verify_per_number_hour");
  EXPECT_EQ(stranger->retry_after, minutes(40));
  // An address that never failed for the number (maybe the owner's): it gets its try.
  EXPECT_FALSE(verify_refusal({std::nullopt, number_lock, true}));
  EXPECT_FALSE(verify_refusal({std::nullopt, std::nullopt, false}));
}

TEST(VerifyRules, TheAttemptLimitsAndTheClientsLockRefuseEvenANewClientFirst) {
  const LimitExceeded per_ip{"verify_per_ip_hour", minutes(3), hours(1)};
  const LimitExceeded number_lock{"failed_verify_per_number_hour", minutes(40), hours(1)};
  const auto refused = verify_refusal({per_ip, number_lock, true});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->name, "verify_per_ip_hour");
}

TEST(VerifyRules, WithoutAClientLockTheNumberLockRefusesEveryone) {
  VerifyCodeRequest request;
  request.failure_limit = WindowLimit{"failed_verify_per_number_hour", "verify-failed:number:+1", 5, hours(1)};
  const auto checks = verify_checked_limits(request);
  EXPECT_TRUE(checks.in_order.empty());
  EXPECT_FALSE(checks.client_has_failed);  // nothing to read: the engine leaves client_is_new false
  const LimitExceeded number_lock{"failed_verify_per_number_hour", minutes(1), hours(1)};
  EXPECT_TRUE(verify_refusal({std::nullopt, number_lock, false}));
}

TEST(VerifyRules, ARefusedAttemptWritesNothingAndSaysWhichLimit) {
  const auto decision = decide_verify_attempt(LimitExceeded{"verify_per_ip_hour", minutes(7), hours(1)},
                                              live_code(), kNow);
  EXPECT_EQ(decision.answer.status, VerifyStatus::limited);
  EXPECT_EQ(decision.answer.limit_name, "verify_per_ip_hour");
  EXPECT_EQ(decision.answer.retry_after, minutes(7));
  EXPECT_FALSE(decision.count_attempt_limits);
  EXPECT_FALSE(decision.compare);
}

TEST(VerifyRules, NoCodeOrAConsumedOneIsNoCodeButTheAttemptCounts) {
  for (const auto& code : {std::optional<StoredCode>{}, std::optional<StoredCode>{[] {
                             auto used = live_code();
                             used.consumed = true;
                             return used;
                           }()}}) {
    const auto decision = decide_verify_attempt(std::nullopt, code, kNow);
    EXPECT_EQ(decision.answer.status, VerifyStatus::no_code);
    EXPECT_TRUE(decision.count_attempt_limits);
    EXPECT_FALSE(decision.compare);
  }
}

TEST(VerifyRules, AnExpiredCodeIsExpiredFromItsExpiryOn) {
  auto code = live_code();
  EXPECT_TRUE(decide_verify_attempt(std::nullopt, code, code.expires_at - Milliseconds(1)).compare);
  const auto decision = decide_verify_attempt(std::nullopt, code, code.expires_at);
  EXPECT_EQ(decision.answer.status, VerifyStatus::expired);
  EXPECT_FALSE(decision.compare);
}

TEST(VerifyRules, ACodeThatUsedItsAttemptsIsLockedUntilItExpires) {
  const auto decision = decide_verify_attempt(std::nullopt, live_code(5, 5), kNow + minutes(1));
  EXPECT_EQ(decision.answer.status, VerifyStatus::code_locked);
  EXPECT_EQ(decision.answer.retry_after, minutes(4));
  EXPECT_TRUE(decision.count_attempt_limits);
  EXPECT_FALSE(decision.compare);
  EXPECT_TRUE(decide_verify_attempt(std::nullopt, live_code(4, 5), kNow).compare);
}

TEST(VerifyRules, AWrongCodeCountsAFailureAndSaysHowManyAttemptsAreLeft) {
  const auto first = decide_comparison(live_code(1, 5), Bytes(32, 9));
  EXPECT_FALSE(first.matched);
  EXPECT_EQ(first.answer.status, VerifyStatus::wrong_code);
  EXPECT_EQ(first.answer.attempts_left, 4);
  EXPECT_TRUE(first.count_failure);
  EXPECT_EQ(decide_comparison(live_code(5, 5), Bytes(32, 9)).answer.attempts_left, 0);
}

TEST(VerifyRules, TheRightCodeMatchesAndCountsNoFailure) {
  const auto decision = decide_comparison(live_code(5, 5), Bytes(32, 2));  // the last attempt may still succeed
  EXPECT_TRUE(decision.matched);
  EXPECT_FALSE(decision.count_failure);
  EXPECT_FALSE(decide_comparison(live_code(1, 5), Bytes(31, 2)).matched);  // a prefix is not a match
}

TEST(VerifyRules, ANewNumberGetsAUserAndASession) {
  const auto decision = decide_login(std::nullopt);
  EXPECT_EQ(decision.status, VerifyStatus::verified);
  EXPECT_TRUE(decision.create_user);
  EXPECT_TRUE(decision.open_session);
}

TEST(VerifyRules, AKnownUserLogsInAndABlockedOneGetsNoSession) {
  UserRecord user{"u1", "+77472367503", kNow, std::nullopt, false};
  const auto known = decide_login(user);
  EXPECT_EQ(known.status, VerifyStatus::verified);
  EXPECT_FALSE(known.create_user);
  EXPECT_TRUE(known.open_session);

  user.blocked = true;
  const auto blocked = decide_login(user);
  EXPECT_EQ(blocked.status, VerifyStatus::user_blocked);
  EXPECT_FALSE(blocked.create_user);
  EXPECT_FALSE(blocked.open_session);
}

}  // namespace
}  // namespace sms_auth
