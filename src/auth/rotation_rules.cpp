// Refresh-token rotation's decisions: family state, blocked users, reuse grace (one sibling), idle expiry.
#include "auth/rotation_rules.hpp"

namespace sms_auth {

RotationDecision decide_rotation(const std::optional<RefreshTokenState>& token, TimePoint now,
                                 Milliseconds reuse_grace) {
  if (!token) return {RotateStatus::unknown_token, RotationAction::none, {}};
  if (token->session_revoked) return {RotateStatus::session_revoked, RotationAction::none, {}};
  if (now >= token->session_expires_at) return {RotateStatus::session_expired, RotationAction::none, {}};
  // Blocking ends sessions itself; this covers a block written by an older build or by hand.
  if (token->user_blocked) return {RotateStatus::user_blocked, RotationAction::revoke_family, "user_blocked"};
  if (token->rotated_at) {
    // `now` may precede `rotated_at` by a few milliseconds when a concurrent request read the clock first.
    if (reuse_grace > Milliseconds::zero() && now - *token->rotated_at < reuse_grace &&
        token->grace_siblings < kMaxGraceSiblings) {
      return {RotateStatus::rotated_in_grace, RotationAction::add_sibling, {}};
    }
    // Either the legitimate client or an attacker holds a newer token; we cannot tell which, so the family ends.
    // Inside the grace too once the token had its sibling: a further replay would be one more parallel chain.
    return {RotateStatus::reuse_detected, RotationAction::revoke_family, "reuse_detected"};
  }
  if (now >= token->token_expires_at) return {RotateStatus::idle_expired, RotationAction::none, {}};
  return {RotateStatus::rotated, RotationAction::rotate, {}};
}

RotateRefreshTokenResult rotation_result(const std::optional<RefreshTokenState>& token,
                                         const RotationDecision& decision) {
  RotateRefreshTokenResult out;
  out.status = decision.status;
  if (!token) return out;
  out.session_id = token->session_id;
  out.user_id = token->user_id;
  out.phone_number = token->phone_number;
  out.revoked_reason = token->revoked_reason;
  return out;
}

}  // namespace sms_auth
