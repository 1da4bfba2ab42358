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

TEST(VerifyRules, TheFailureLockIsCheckedAfterTheAttemptLimitsAndNeverCountedThere) {
  VerifyCodeRequest request;
  request.attempt_limits = {{"verify_per_ip_hour", "verify:ip:1", 30, hours(1)}};
  request.failure_limit = WindowLimit{"failed_verify_per_number_hour", "verify-failed:number:+1", 10, hours(1)};
  const auto checked = verify_checked_limits(request);
  ASSERT_EQ(checked.size(), 2u);
  EXPECT_EQ(checked[0].name, "verify_per_ip_hour");
  EXPECT_TRUE(checked[0].count);
  EXPECT_EQ(checked[1].name, "failed_verify_per_number_hour");
  EXPECT_FALSE(checked[1].count);
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
