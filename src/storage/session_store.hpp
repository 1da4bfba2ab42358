// Storage of sessions after login: refresh-token rotation with reuse detection, revocation, and the user
// administration that ends sessions (block). Part of the Repository (which inherits it); same error policy: expected
// outcomes are values, a broken database throws StorageUnavailable, and every call that returns has committed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto.hpp"

namespace sms_auth {

struct UserRecord;

// One login: the family of refresh tokens it rotates through (`sid` in access tokens).
struct SessionRecord {
  std::string id;
  std::string user_id;
  TimePoint created_at;
  TimePoint expires_at;  // absolute lifetime of the family
  TimePoint last_used_at;
  std::optional<TimePoint> revoked_at;
  std::string revoked_reason;  // "logout", "logout_all", "reuse_detected", "user_blocked", "admin"
  // The latest idle expiry among the family's unrotated tokens; none when every token was rotated.
  std::optional<TimePoint> idle_expires_at;

  // Not revoked and within its absolute lifetime (an access token of it may still be used).
  bool open_at(TimePoint now) const { return !revoked_at && now < expires_at; }
  // Open, and some refresh token of it can still be used.
  bool refreshable_at(TimePoint now) const { return open_at(now) && idle_expires_at && now < *idle_expires_at; }
};

// ---- rotating a refresh token (POST /api/v1/auth/refresh) ----

struct RotateRefreshTokenRequest {
  Bytes presented_hash;  // SHA-256 of the presented token
  TimePoint now;
  Bytes new_token_hash;  // SHA-256 of the token to hand out if the presented one is accepted
  TimePoint new_token_expires_at;  // idle expiry of the new token
  // A token rotated less than this long ago gets one sibling instead of revoking its family (a lost response, two
  // tabs refreshing at once); a further replay revokes it. Zero disables the grace.
  Milliseconds reuse_grace{0};
};

enum class RotateStatus {
  rotated,           // the presented token is now rotated; the new one belongs to the same family
  rotated_in_grace,  // the presented token was rotated within the grace: the new one is a sibling in the family
  unknown_token,     // no such token (never issued, or pruned after its family ended)
  idle_expired,      // the presented token outlived its idle lifetime
  session_expired,   // the family outlived its absolute lifetime
  session_revoked,   // the family was ended earlier (logout, revocation, reuse, block)
  reuse_detected,    // a rotated token replayed after the grace, or again after its sibling: the family is revoked
  user_blocked,      // the account is blocked: the family is now revoked
};

struct RotateRefreshTokenResult {
  RotateStatus status = RotateStatus::unknown_token;
  std::string session_id;       // all but unknown_token
  std::string user_id;          // all but unknown_token
  std::string phone_number;     // all but unknown_token
  std::string revoked_reason;   // session_revoked
};

// ---- administration ----

struct SessionListQuery {
  std::string user_id;
  std::optional<TimePoint> open_at;  // only the sessions open at this time; all when empty
  int limit = 100;
};

struct UserListQuery {
  bool blocked_only = false;
  int limit = 100;
};

struct BlockUserResult {
  bool changed = false;      // false: it already was in the asked state
  int sessions_revoked = 0;  // block: the sessions it ended
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // In one transaction: finds the presented token, checks its family (open, within its absolute lifetime, user not
  // blocked) and the token itself (not rotated, within its idle lifetime), and either rotates it (marks it rotated,
  // stores the new token, touches the session), gives one sibling within the reuse grace, or ends the family (reuse,
  // block). Two concurrent calls with one token are serialized: the second sees the first's rotation, so they can
  // never start independent families.
  virtual RotateRefreshTokenResult rotate_refresh_token(const RotateRefreshTokenRequest& request) = 0;

  virtual std::optional<SessionRecord> find_session(const std::string& session_id) = 0;

  // Newest first.
  virtual std::vector<SessionRecord> list_sessions(const SessionListQuery& query) = 0;

  // Ends one session of `user_id`. False if there is no such open session of that user.
  virtual bool revoke_session(const std::string& user_id, const std::string& session_id, TimePoint now,
                              std::string_view reason) = 0;
  // Ends every open session of the user; returns how many.
  virtual int revoke_user_sessions(const std::string& user_id, TimePoint now, std::string_view reason) = 0;

  // Oldest first.
  virtual std::vector<UserRecord> list_users(const UserListQuery& query) = 0;

  // Blocking also ends every open session of the user (reason "user_blocked"), in the same transaction; a blocked
  // user can neither log in nor refresh. Unblocking lets the user log in again (ended sessions stay ended).
  // nullopt: no such user.
  virtual std::optional<BlockUserResult> set_user_blocked(const std::string& user_id, bool blocked, TimePoint now) = 0;

  // Deletes the refresh tokens of families that ended (revoked or past their absolute lifetime) before `ended_before`:
  // no rotation can succeed on them any more. The session rows stay, as history. Returns rows removed.
  virtual std::size_t prune_refresh_tokens(TimePoint ended_before) = 0;
};

}  // namespace sms_auth
