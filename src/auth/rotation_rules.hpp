// The rules of refresh-token rotation as a pure function: a storage engine loads the presented token with its family
// and user inside its transaction (locked: FOR UPDATE in PostgreSQL, BEGIN IMMEDIATE in SQLite), asks
// decide_rotation, and applies the answer in the same transaction. Concurrent refreshes of one token are serialized
// by that lock, so the second sees the first's rotation (and the third the second's sibling): one token opens at
// most one extra chain, never one per replay.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "storage/session_store.hpp"

namespace sms_auth {

// The presented refresh token, its session (family) and user, as loaded by the engine.
struct RefreshTokenState {
  std::string session_id;
  std::string user_id;
  std::string phone_number;
  TimePoint token_expires_at;            // idle expiry of this token
  std::optional<TimePoint> rotated_at;   // set once the token was exchanged
  int grace_siblings = 0;                // siblings it was exchanged for within the grace, after its rotation
  TimePoint session_expires_at;          // absolute expiry of the family
  bool session_revoked = false;
  std::string revoked_reason;
  bool user_blocked = false;
};

enum class RotationAction {
  none,           // refuse and write nothing
  rotate,         // mark the token rotated (replaced by the new one), store the new token, touch the session
  add_sibling,    // store the new token in the family (the presented one stays rotated and counts one more
                  // grace sibling), touch the session
  revoke_family,  // end the session with `revoke_reason`
};

struct RotationDecision {
  RotateStatus status = RotateStatus::unknown_token;
  RotationAction action = RotationAction::none;
  std::string_view revoke_reason;  // revoke_family: "reuse_detected" or "user_blocked"
};

// How many siblings one rotated token may get within the grace: one covers a retry after a lost response (or two
// tabs refreshing at once). The successor's token is kept only as a hash, so a replay cannot be handed the same
// child; each extra presentation would otherwise open one more parallel chain, undetected.
inline constexpr int kMaxGraceSiblings = 1;

// Unknown → refused; family revoked or past its absolute expiry → refused; user blocked → family revoked; token
// already rotated → one sibling while the rotation is younger than `reuse_grace` (measured from the first rotation,
// so siblings never extend it) and the token has had none yet, else the family is revoked (reuse, RFC 9700
// §4.14.2): a third presentation of one token is more than a retry; token idle → refused; otherwise rotate.
RotationDecision decide_rotation(const std::optional<RefreshTokenState>& token, TimePoint now,
                                 Milliseconds reuse_grace);

// The call's result for a decision on a loaded token (ids and phone filled unless the token was unknown).
RotateRefreshTokenResult rotation_result(const std::optional<RefreshTokenState>& token,
                                         const RotationDecision& decision);

}  // namespace sms_auth
