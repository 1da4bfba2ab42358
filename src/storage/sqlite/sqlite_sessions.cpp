// SQLite implementation of SessionStore: refresh rotation, revocation and blocking, each one BEGIN IMMEDIATE
// transaction. (A PostgreSQL implementation keeps rotation atomic with SELECT … FOR UPDATE on the token row.)
#include <SQLiteCpp/SQLiteCpp.h>

#include "auth/rotation_rules.hpp"
#include "storage/sqlite/sqlite_repository.hpp"
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {
namespace {

constexpr char kSessionColumns[] =
    "SELECT s.id, s.user_id, s.created_at, s.expires_at, s.last_used_at, s.revoked_at, s.revoked_reason, "
    "(SELECT MAX(t.expires_at) FROM refresh_tokens t WHERE t.session_id = s.id AND t.rotated_at IS NULL) "
    "FROM sessions s ";
constexpr auto kSessionById = join_sql(kSessionColumns, "WHERE s.id = ?");
constexpr char kNewestFirst[] = "ORDER BY s.created_at DESC, s.id LIMIT ?";
constexpr auto kSessionsOfUser = join_sql(kSessionColumns, "WHERE s.user_id = ? ", kNewestFirst);
constexpr auto kOpenSessionsOfUser =
    join_sql(kSessionColumns, "WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? ", kNewestFirst);
constexpr auto kUsers = join_sql(kUserColumns, "ORDER BY created_at, id LIMIT ?");
constexpr auto kBlockedUsers = join_sql(kUserColumns, "WHERE blocked_at IS NOT NULL ORDER BY created_at, id LIMIT ?");

SessionRecord read_session(SQLite::Statement& row) {
  SessionRecord session;
  session.id = row.getColumn(0).getString();
  session.user_id = row.getColumn(1).getString();
  session.created_at = from_unix_ms(row.getColumn(2).getInt64());
  session.expires_at = from_unix_ms(row.getColumn(3).getInt64());
  session.last_used_at = from_unix_ms(row.getColumn(4).getInt64());
  session.revoked_at = column_time(row.getColumn(5));
  if (!row.getColumn(6).isNull()) session.revoked_reason = row.getColumn(6).getString();
  session.idle_expires_at = column_time(row.getColumn(7));
  return session;
}

void end_session(SqliteConnection& db, const std::string& session_id, TimePoint now, std::string_view reason) {
  Prepared revoke(db, "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL");
  revoke.bind(1, to_unix_ms(now));
  revoke.bind(2, std::string(reason));
  revoke.bind(3, session_id);
  revoke.exec();
}

int end_user_sessions(SqliteConnection& db, const std::string& user_id, TimePoint now, std::string_view reason) {
  Prepared revoke(db,
                  "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
                  "WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?");
  revoke.bind(1, to_unix_ms(now));
  revoke.bind(2, std::string(reason));
  revoke.bind(3, user_id);
  revoke.bind(4, to_unix_ms(now));
  return revoke.exec();
}

void store_refresh_token(SqliteConnection& db, const Bytes& token_hash, const std::string& session_id, TimePoint now,
                         TimePoint expires_at) {
  Prepared insert(db,
                  "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) "
                  "VALUES (?, ?, ?, ?)");
  bind_blob(insert, 1, token_hash);
  insert.bind(2, session_id);
  insert.bind(3, to_unix_ms(now));
  insert.bind(4, to_unix_ms(expires_at));
  insert.exec();

  Prepared touch(db, "UPDATE sessions SET last_used_at = ? WHERE id = ?");
  touch.bind(1, to_unix_ms(now));
  touch.bind(2, session_id);
  touch.exec();
}

}  // namespace

// Loads the token, asks decide_rotation (auth/rotation_rules.hpp), applies its answer: one BEGIN IMMEDIATE.
RotateRefreshTokenResult SqliteRepository::rotate_refresh_token(const RotateRefreshTokenRequest& request) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    std::optional<RefreshTokenState> token;
    Prepared find(db,
                  "SELECT t.session_id, t.expires_at, t.rotated_at, s.expires_at, s.revoked_at, "
                  "s.revoked_reason, u.id, u.phone_number, u.blocked_at, t.grace_siblings "
                  "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id "
                  "JOIN users u ON u.id = s.user_id WHERE t.token_hash = ?");
    bind_blob(find, 1, request.presented_hash);
    if (find.executeStep()) {
      token.emplace();
      token->session_id = find.getColumn(0).getString();
      token->token_expires_at = from_unix_ms(find.getColumn(1).getInt64());
      token->rotated_at = column_time(find.getColumn(2));
      token->session_expires_at = from_unix_ms(find.getColumn(3).getInt64());
      token->session_revoked = !find.getColumn(4).isNull();
      if (!find.getColumn(5).isNull()) token->revoked_reason = find.getColumn(5).getString();
      token->user_id = find.getColumn(6).getString();
      token->phone_number = find.getColumn(7).getString();
      token->user_blocked = !find.getColumn(8).isNull();
      token->grace_siblings = find.getColumn(9).getInt();
    }
    find.reset();

    const RotationDecision decision = decide_rotation(token, request.now, request.reuse_grace);
    switch (decision.action) {
      case RotationAction::none:
        return rotation_result(token, decision);  // nothing written
      case RotationAction::revoke_family:
        end_session(db, token->session_id, request.now, decision.revoke_reason);
        break;
      case RotationAction::add_sibling: {
        // The grace is measured from the first rotation and is not renewed by this sibling, and the token counts it:
        // the next replay ends the family instead of opening one more chain.
        Prepared count_sibling(db,
                               "UPDATE refresh_tokens SET grace_siblings = grace_siblings + 1 "
                               "WHERE token_hash = ?");
        bind_blob(count_sibling, 1, request.presented_hash);
        count_sibling.exec();
        store_refresh_token(db, request.new_token_hash, token->session_id, request.now, request.new_token_expires_at);
        break;
      }
      case RotationAction::rotate: {
        Prepared rotate(db, "UPDATE refresh_tokens SET rotated_at = ?, replaced_by = ? WHERE token_hash = ?");
        rotate.bind(1, to_unix_ms(request.now));
        bind_blob(rotate, 2, request.new_token_hash);
        bind_blob(rotate, 3, request.presented_hash);
        rotate.exec();
        store_refresh_token(db, request.new_token_hash, token->session_id, request.now, request.new_token_expires_at);
        break;
      }
    }
    tx.commit();
    return rotation_result(token, decision);
  });
}

std::optional<SessionRecord> SqliteRepository::find_session(const std::string& session_id) {
  return with_database([&](SqliteConnection& db) -> std::optional<SessionRecord> {
    Prepared find(db, sql_of(kSessionById));
    find.bind(1, session_id);
    if (!find.executeStep()) return std::nullopt;
    return read_session(find);
  });
}

std::vector<SessionRecord> SqliteRepository::list_sessions(const SessionListQuery& query) {
  return with_database([&](SqliteConnection& db) {
    std::vector<SessionRecord> out;
    Prepared list(db, query.open_at ? sql_of(kOpenSessionsOfUser) : sql_of(kSessionsOfUser));
    int index = 1;
    list.bind(index++, query.user_id);
    if (query.open_at) list.bind(index++, to_unix_ms(*query.open_at));
    list.bind(index, query.limit);
    while (list.executeStep()) out.push_back(read_session(list));
    return out;
  });
}

bool SqliteRepository::revoke_session(const std::string& user_id, const std::string& session_id, TimePoint now,
                                      std::string_view reason) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    Prepared revoke(db,
                    "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
                    "WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?");
    revoke.bind(1, to_unix_ms(now));
    revoke.bind(2, std::string(reason));
    revoke.bind(3, session_id);
    revoke.bind(4, user_id);
    revoke.bind(5, to_unix_ms(now));
    const bool ended = revoke.exec() > 0;
    tx.commit();
    return ended;
  });
}

int SqliteRepository::revoke_user_sessions(const std::string& user_id, TimePoint now, std::string_view reason) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    const int ended = end_user_sessions(db, user_id, now, reason);
    tx.commit();
    return ended;
  });
}

std::vector<UserRecord> SqliteRepository::list_users(const UserListQuery& query) {
  return with_database([&](SqliteConnection& db) {
    std::vector<UserRecord> out;
    Prepared list(db, query.blocked_only ? sql_of(kBlockedUsers) : sql_of(kUsers));
    list.bind(1, query.limit);
    while (list.executeStep()) out.push_back(read_user(list));
    return out;
  });
}

std::optional<BlockUserResult> SqliteRepository::set_user_blocked(const std::string& user_id, bool blocked,
                                                                  TimePoint now) {
  return with_database([&](SqliteConnection& db) -> std::optional<BlockUserResult> {
    ImmediateTransaction tx(db);
    Prepared find(db, "SELECT blocked_at FROM users WHERE id = ?");
    find.bind(1, user_id);
    if (!find.executeStep()) return std::nullopt;
    const bool was_blocked = !find.getColumn(0).isNull();
    find.reset();

    BlockUserResult out;
    out.changed = was_blocked != blocked;
    if (out.changed) {
      Prepared update(db, "UPDATE users SET blocked_at = ? WHERE id = ?");
      if (blocked) {
        update.bind(1, to_unix_ms(now));
      } else {
        update.bind(1);
      }
      update.bind(2, user_id);
      update.exec();
    }
    // Also on a repeated block: whatever session a race let through is ended now.
    if (blocked) out.sessions_revoked = end_user_sessions(db, user_id, now, "user_blocked");
    tx.commit();
    return out;
  });
}

std::size_t SqliteRepository::prune_refresh_tokens(TimePoint ended_before) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    Prepared prune(db,
                   "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions "
                   "WHERE revoked_at <= ? OR expires_at <= ?)");
    prune.bind(1, to_unix_ms(ended_before));
    prune.bind(2, to_unix_ms(ended_before));
    const auto removed = static_cast<std::size_t>(prune.exec());
    tx.commit();
    return removed;
  });
}

}  // namespace sms_auth
