// Refresh-token rotation's decisions without a database: every refusal, the reuse grace (one sibling per token) and
// reuse detection.
#include "auth/rotation_rules.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const TimePoint kNow = from_unix_ms(1'700'000'000'000);
constexpr Milliseconds kGrace{10000};

RefreshTokenState fresh_token() {
  RefreshTokenState token;
  token.session_id = "s1";
  token.user_id = "u1";
  token.phone_number = "+77472367503";
  token.token_expires_at = kNow + hours(1);
  token.session_expires_at = kNow + hours(24);
  return token;
}

TEST(RotationRules, AnUnknownTokenIsRefusedWithoutIds) {
  const auto decision = decide_rotation(std::nullopt, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::unknown_token);
  EXPECT_EQ(decision.action, RotationAction::none);
  const auto result = rotation_result(std::nullopt, decision);
  EXPECT_EQ(result.status, RotateStatus::unknown_token);
  EXPECT_TRUE(result.session_id.empty());
}

TEST(RotationRules, AFreshTokenIsRotatedAndTheResultNamesItsFamily) {
  const auto token = fresh_token();
  const auto decision = decide_rotation(token, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::rotated);
  EXPECT_EQ(decision.action, RotationAction::rotate);
  const auto result = rotation_result(token, decision);
  EXPECT_EQ(result.session_id, "s1");
  EXPECT_EQ(result.user_id, "u1");
  EXPECT_EQ(result.phone_number, "+77472367503");
}

TEST(RotationRules, ARevokedFamilyIsRefusedWithItsReasonEvenForAFreshToken) {
  auto token = fresh_token();
  token.session_revoked = true;
  token.revoked_reason = "logout";
  token.user_blocked = true;  // the revocation answers first: nothing more to end
  const auto decision = decide_rotation(token, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::session_revoked);
  EXPECT_EQ(decision.action, RotationAction::none);
  EXPECT_EQ(rotation_result(token, decision).revoked_reason, "logout");
}

TEST(RotationRules, TheAbsoluteLifetimeEndsTheFamilyAtItsExpiry) {
  auto token = fresh_token();
  token.token_expires_at = token.session_expires_at + hours(1);
  EXPECT_EQ(decide_rotation(token, token.session_expires_at - Milliseconds(1), kGrace).status,
            RotateStatus::rotated);
  const auto decision = decide_rotation(token, token.session_expires_at, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::session_expired);
  EXPECT_EQ(decision.action, RotationAction::none);
}

TEST(RotationRules, ABlockedUserLosesTheFamily) {
  auto token = fresh_token();
  token.user_blocked = true;
  const auto decision = decide_rotation(token, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::user_blocked);
  EXPECT_EQ(decision.action, RotationAction::revoke_family);
  EXPECT_EQ(decision.revoke_reason, "user_blocked");
}

TEST(RotationRules, ARotatedTokenWithinTheGraceGetsASibling) {
  auto token = fresh_token();
  token.rotated_at = kNow - seconds(9);
  token.token_expires_at = kNow - seconds(1);  // a sibling is given even when the rotated token is idle by now
  const auto decision = decide_rotation(token, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::rotated_in_grace);
  EXPECT_EQ(decision.action, RotationAction::add_sibling);
}

TEST(RotationRules, AReplayAfterTheTokensOneSiblingRevokesTheFamilyEvenWithinTheGrace) {
  auto token = fresh_token();
  token.rotated_at = kNow - seconds(1);
  token.grace_siblings = kMaxGraceSiblings;
  const auto decision = decide_rotation(token, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::reuse_detected);
  EXPECT_EQ(decision.action, RotationAction::revoke_family);
  EXPECT_EQ(decision.revoke_reason, "reuse_detected");
}

TEST(RotationRules, OneSiblingPerRotatedTokenAtMost) {
  // At most two live chains grow from one token: its child and one sibling; no replay inside the grace adds a third.
  EXPECT_EQ(kMaxGraceSiblings, 1);
  auto token = fresh_token();
  token.rotated_at = kNow - seconds(1);
  int siblings = 0;
  for (int replay = 0; replay < 5; ++replay) {
    const auto decision = decide_rotation(token, kNow, kGrace);
    if (decision.action != RotationAction::add_sibling) break;
    ++siblings;
    ++token.grace_siblings;  // what the engine writes with the sibling
  }
  EXPECT_EQ(siblings, 1);
}

TEST(RotationRules, AConcurrentRequestThatReadTheClockFirstIsStillInTheGrace) {
  auto token = fresh_token();
  token.rotated_at = kNow + Milliseconds(3);
  EXPECT_EQ(decide_rotation(token, kNow, kGrace).status, RotateStatus::rotated_in_grace);
}

TEST(RotationRules, AReplayFromTheEndOfTheGraceOnRevokesTheFamily) {
  auto token = fresh_token();
  token.rotated_at = kNow - kGrace;
  const auto decision = decide_rotation(token, kNow, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::reuse_detected);
  EXPECT_EQ(decision.action, RotationAction::revoke_family);
  EXPECT_EQ(decision.revoke_reason, "reuse_detected");
}

TEST(RotationRules, WithoutAGraceAnyReplayIsReuse) {
  auto token = fresh_token();
  token.rotated_at = kNow;
  EXPECT_EQ(decide_rotation(token, kNow, Milliseconds::zero()).status, RotateStatus::reuse_detected);
}

TEST(RotationRules, AnIdleTokenIsRefusedFromItsIdleExpiryOn) {
  auto token = fresh_token();
  EXPECT_EQ(decide_rotation(token, token.token_expires_at - Milliseconds(1), kGrace).status, RotateStatus::rotated);
  const auto decision = decide_rotation(token, token.token_expires_at, kGrace);
  EXPECT_EQ(decision.status, RotateStatus::idle_expired);
  EXPECT_EQ(decision.action, RotationAction::none);
}

}  // namespace
}  // namespace sms_auth
