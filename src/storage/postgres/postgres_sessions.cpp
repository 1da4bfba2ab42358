// PostgreSQL implementation of SessionStore: rotation under row locks on the token and its session (SELECT … FOR
// UPDATE), so concurrent refreshes of one token, on any instance, are serialized and never fork the family.
#include "auth/rotation_rules.hpp"
#include "storage/postgres/pg_support.hpp"
#include "storage/postgres/postgres_repository.hpp"

namespace sms_auth {
namespace {

constexpr const char* kSessionColumns =
    "SELECT s.id, s.user_id, s.created_at, s.expires_at, s.last_used_at, s.revoked_at, s.revoked_reason, "
    "(SELECT MAX(t.expires_at) FROM refresh_tokens t WHERE t.session_id = s.id AND t.rotated_at IS NULL) "
    "FROM sessions s ";

// The token, its family and its user, with the token and session rows locked until commit: a logout, a block or a
// second rotation of the same token waits for this one and then sees what it wrote.
constexpr PgStatement kLockToken{
    "lock_token",
    "SELECT t.session_id, t.expires_at, t.rotated_at, s.expires_at, s.revoked_at, s.revoked_reason, u.id, "
    "u.phone_number, u.blocked_at IS NOT NULL, t.grace_siblings FROM refresh_tokens t "
    "JOIN sessions s ON s.id = t.session_id "
    "JOIN users u ON u.id = s.user_id WHERE t.token_hash = $1 FOR UPDATE OF t, s"};
constexpr PgStatement kRotateToken{
    "rotate_token",
    "UPDATE refresh_tokens SET rotated_at = $2, replaced_by = $3 WHERE token_hash = $1 AND rotated_at IS NULL"};
constexpr PgStatement kCountGraceSibling{
    "count_grace_sibling", "UPDATE refresh_tokens SET grace_siblings = grace_siblings + 1 WHERE token_hash = $1"};
constexpr PgStatement kTouchSession{"touch_session", "UPDATE sessions SET last_used_at = $2 WHERE id = $1"};
constexpr PgStatement kInsertToken{
    "insert_token",
    "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)"};
constexpr PgStatement kEndSession{
    "end_session",
    "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL"};
constexpr PgStatement kEndUserSessions{
    "end_user_sessions",
    "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL AND "
    "expires_at > $2"};
constexpr PgStatement kRevokeSession{
    "revoke_session",
    "UPDATE sessions SET revoked_at = $3, revoked_reason = $4 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL "
    "AND expires_at > $3"};
constexpr PgStatement kLockUser{"lock_user", "SELECT blocked_at FROM users WHERE id = $1 FOR UPDATE"};
constexpr PgStatement kSetBlocked{"set_blocked", "UPDATE users SET blocked_at = $2 WHERE id = $1"};
constexpr PgStatement kPruneTokens{
    "prune_tokens",
    "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE revoked_at <= $1 OR "
    "expires_at <= $1)"};

const std::string kFindSessionSql = std::string(kSessionColumns) + "WHERE s.id = $1";
const std::string kListSessionsSql =
    std::string(kSessionColumns) + "WHERE s.user_id = $1 ORDER BY s.created_at DESC, s.id LIMIT $2";
const std::string kListOpenSessionsSql = std::string(kSessionColumns) +
                                         "WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $3 "
                                         "ORDER BY s.created_at DESC, s.id LIMIT $2";
const std::string kListUsersSql =
    std::string("SELECT ") + kPgUserColumns + " FROM users ORDER BY created_at, id LIMIT $1";
const std::string kListBlockedUsersSql = std::string("SELECT ") + kPgUserColumns +
                                         " FROM users WHERE blocked_at IS NOT NULL ORDER BY created_at, id LIMIT $1";

SessionRecord read_session(const PgRows& rows, int row) {
  SessionRecord session;
  session.id = rows.text(row, 0);
  session.user_id = rows.text(row, 1);
  session.created_at = from_unix_ms(rows.integer(row, 2));
  session.expires_at = from_unix_ms(rows.integer(row, 3));
  session.last_used_at = from_unix_ms(rows.integer(row, 4));
  session.revoked_at = optional_time(rows, row, 5);
  if (!rows.is_null(row, 6)) session.revoked_reason = rows.text(row, 6);
  session.idle_expires_at = optional_time(rows, row, 7);
  return session;
}

void store_refresh_token(PgConnection& c, const Bytes& token_hash, const std::string& session_id, TimePoint now,
                         TimePoint expires_at) {
  c.exec_deferred(kInsertToken, {PgParam::bytes(token_hash), session_id, ms(now), ms(expires_at)});
  c.exec_deferred(kTouchSession, {session_id, ms(now)});
}

}  // namespace

RotateRefreshTokenResult PostgresRepository::rotate_refresh_token(const RotateRefreshTokenRequest& request) {
  return in_transaction([&](PgConnection& c) {
    std::optional<RefreshTokenState> token;
    const auto found = c.exec(kLockToken, {PgParam::bytes(request.presented_hash)});
    if (!found.empty()) {
      token.emplace();
      token->session_id = found.text(0, 0);
      token->token_expires_at = from_unix_ms(found.integer(0, 1));
      token->rotated_at = optional_time(found, 0, 2);
      token->session_expires_at = from_unix_ms(found.integer(0, 3));
      token->session_revoked = !found.is_null(0, 4);
      if (!found.is_null(0, 5)) token->revoked_reason = found.text(0, 5);
      token->user_id = found.text(0, 6);
      token->phone_number = found.text(0, 7);
      token->user_blocked = found.boolean(0, 8);
      token->grace_siblings = static_cast<int>(found.integer(0, 9));
    }

    const RotationDecision decision = decide_rotation(token, request.now, request.reuse_grace);
    switch (decision.action) {
      case RotationAction::none:
        break;  // nothing written
      case RotationAction::revoke_family:
        c.exec_deferred(kEndSession, {token->session_id, ms(request.now), decision.revoke_reason});
        break;
      case RotationAction::add_sibling:
        // The grace is measured from the first rotation and is not renewed by a sibling; the token (locked) counts
        // it, so the next replay ends the family instead of opening one more chain.
        c.exec_deferred(kCountGraceSibling, {PgParam::bytes(request.presented_hash)});
        store_refresh_token(c, request.new_token_hash, token->session_id, request.now, request.new_token_expires_at);
        break;
      case RotationAction::rotate:
        // Conditional as well as locked: a token is rotated once.
        if (c.exec(kRotateToken, {PgParam::bytes(request.presented_hash), ms(request.now),
                                  PgParam::bytes(request.new_token_hash)})
                .affected() != 1) {
          throw StorageUnavailable("PostgreSQL: the locked refresh token changed under its lock");
        }
        store_refresh_token(c, request.new_token_hash, token->session_id, request.now, request.new_token_expires_at);
        break;
    }
    return rotation_result(token, decision);
  });
}

std::optional<SessionRecord> PostgresRepository::find_session(const std::string& session_id) {
  return in_transaction([&](PgConnection& c) -> std::optional<SessionRecord> {
    const auto rows = c.exec({"find_session", kFindSessionSql.c_str()}, {session_id});
    if (rows.empty()) return std::nullopt;
    return read_session(rows, 0);
  });
}

std::vector<SessionRecord> PostgresRepository::list_sessions(const SessionListQuery& query) {
  return in_transaction([&](PgConnection& c) {
    std::vector<SessionRecord> out;
    const auto rows = query.open_at ? c.exec({"list_open_sessions", kListOpenSessionsSql.c_str()},
                                             {query.user_id, query.limit, ms(*query.open_at)})
                                    : c.exec({"list_sessions", kListSessionsSql.c_str()}, {query.user_id, query.limit});
    for (int row = 0; row < rows.size(); ++row) out.push_back(read_session(rows, row));
    return out;
  });
}

bool PostgresRepository::revoke_session(const std::string& user_id, const std::string& session_id, TimePoint now,
                                        std::string_view reason) {
  return in_transaction([&](PgConnection& c) {
    return c.exec(kRevokeSession, {session_id, user_id, ms(now), reason}).affected() > 0;
  });
}

int PostgresRepository::revoke_user_sessions(const std::string& user_id, TimePoint now, std::string_view reason) {
  return in_transaction(
      [&](PgConnection& c) { return c.exec(kEndUserSessions, {user_id, ms(now), reason}).affected(); });
}

std::vector<UserRecord> PostgresRepository::list_users(const UserListQuery& query) {
  return in_transaction([&](PgConnection& c) {
    std::vector<UserRecord> out;
    const auto rows = query.blocked_only ? c.exec({"list_blocked_users", kListBlockedUsersSql.c_str()}, {query.limit})
                                         : c.exec({"list_users", kListUsersSql.c_str()}, {query.limit});
    for (int row = 0; row < rows.size(); ++row) out.push_back(read_user(rows, row));
    return out;
  });
}

std::optional<BlockUserResult> PostgresRepository::set_user_blocked(const std::string& user_id, bool blocked,
                                                                    TimePoint now) {
  return in_transaction([&](PgConnection& c) -> std::optional<BlockUserResult> {
    const auto found = c.exec(kLockUser, {user_id});
    if (found.empty()) return std::nullopt;
    const bool was_blocked = !found.is_null(0, 0);
    BlockUserResult out;
    out.changed = was_blocked != blocked;
    if (out.changed) c.exec_deferred(kSetBlocked, {user_id, blocked ? PgParam(to_unix_ms(now)) : PgParam()});
    // Also on a repeated block: whatever session a race let through is ended now.
    if (blocked) out.sessions_revoked = c.exec(kEndUserSessions, {user_id, ms(now), "user_blocked"}).affected();
    return out;
  });
}

std::size_t PostgresRepository::prune_refresh_tokens(TimePoint ended_before) {
  return in_transaction(
      [&](PgConnection& c) { return static_cast<std::size_t>(c.exec(kPruneTokens, {ms(ended_before)}).affected()); });
}

}  // namespace sms_auth
