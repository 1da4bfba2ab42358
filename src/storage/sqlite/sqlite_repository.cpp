// SQLite implementation of the repository: each public call is one BEGIN IMMEDIATE transaction.
#include "storage/sqlite/sqlite_repository.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include "storage/sqlite/sqlite_schema.hpp"
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {
namespace {

constexpr int kBusyTimeoutMs = 5000;

void bind_blob(SQLite::Statement& statement, int index, const Bytes& bytes) {
  statement.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

Bytes column_blob(const SQLite::Column& column) {
  const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
  return Bytes(data, data + column.getBytes());
}

std::optional<LimitExceeded> check_limits(SQLite::Database& db, const std::vector<WindowLimit>& limits, TimePoint now) {
  for (const auto& limit : limits) {
    const std::int64_t since = to_unix_ms(now) - std::chrono::duration_cast<Milliseconds>(limit.window).count();
    SQLite::Statement count(db, "SELECT COUNT(*) FROM rate_events WHERE bucket = ? AND at_ms > ?");
    count.bind(1, limit.bucket);
    count.bind(2, since);
    count.executeStep();
    const auto events = count.getColumn(0).getInt64();
    if (events < limit.limit) continue;
    // The window reopens when the event that puts us at the limit slides out of it.
    SQLite::Statement oldest(db,
                             "SELECT at_ms FROM rate_events WHERE bucket = ? AND at_ms > ? ORDER BY at_ms LIMIT 1 "
                             "OFFSET ?");
    oldest.bind(1, limit.bucket);
    oldest.bind(2, since);
    oldest.bind(3, events - limit.limit);
    std::int64_t reopens_at = to_unix_ms(now);
    if (oldest.executeStep()) reopens_at = oldest.getColumn(0).getInt64() + (to_unix_ms(now) - since);
    return LimitExceeded{limit.name, Milliseconds{std::max<std::int64_t>(reopens_at - to_unix_ms(now), 0)}};
  }
  return std::nullopt;
}

void count_limits(SQLite::Database& db, const std::vector<WindowLimit>& limits, TimePoint now,
                  const std::string& reservation) {
  SQLite::Statement insert(db, "INSERT INTO rate_events (bucket, at_ms, reservation) VALUES (?, ?, ?)");
  for (const auto& limit : limits) {
    if (!limit.count) continue;
    insert.bind(1, limit.bucket);
    insert.bind(2, to_unix_ms(now));
    if (reservation.empty()) {
      insert.bind(3);
    } else {
      insert.bind(3, reservation);
    }
    insert.exec();
    insert.reset();
  }
}

UserRecord read_user(SQLite::Statement& row) {
  UserRecord user;
  user.id = row.getColumn(0).getString();
  user.phone_number = row.getColumn(1).getString();
  user.created_at = from_unix_ms(row.getColumn(2).getInt64());
  if (!row.getColumn(3).isNull()) user.last_login_at = from_unix_ms(row.getColumn(3).getInt64());
  user.blocked = !row.getColumn(4).isNull();
  return user;
}

constexpr const char* kUserColumns = "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users ";

}  // namespace

SqliteRepository::SqliteRepository(const std::string& path) {
  try {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                                             kBusyTimeoutMs);
    db_->exec("PRAGMA journal_mode = WAL");
    // FULL: a commit is on disk before we answer 200, so kill -9 or power loss never revives a used code.
    db_->exec("PRAGMA synchronous = FULL");
    db_->exec("PRAGMA foreign_keys = ON");
  } catch (const std::exception& e) {
    throw StorageUnavailable(std::string("cannot open SQLite database ") + path + ": " + e.what());
  }
}

SqliteRepository::~SqliteRepository() = default;

void SqliteRepository::migrate() {
  with_database([](SQLite::Database& db) {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    for (const auto& migration : sqlite_migrations()) {
      ImmediateTransaction tx(db);
      SQLite::Statement applied(db, "SELECT 1 FROM schema_migrations WHERE version = ?");
      applied.bind(1, migration.version);
      if (!applied.executeStep()) {
        db.exec(std::string(migration.sql));
        SQLite::Statement mark(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
        mark.bind(1, migration.version);
        mark.bind(2, to_unix_ms(SystemTimeSource{}.now()));
        mark.exec();
      }
      tx.commit();
    }
  });
}

int SqliteRepository::schema_version() {
  return with_database([](SQLite::Database& db) {
    if (!db.tableExists("schema_migrations")) return 0;
    return db.execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").getInt();
  });
}

int SqliteRepository::expected_schema_version() const { return sqlite_migrations().back().version; }

void SqliteRepository::ping() {
  with_database([](SQLite::Database& db) { db.execAndGet("SELECT 1"); });
}

result<IssuedCode, LimitExceeded> SqliteRepository::issue_code(const IssueCodeRequest& request) {
  return with_database([&](SQLite::Database& db) -> result<IssuedCode, LimitExceeded> {
    ImmediateTransaction tx(db);
    if (auto refused = check_limits(db, request.limits, request.now)) return *refused;

    if (request.reuse_if_remaining) {
      SQLite::Statement live(db,
                             "SELECT challenge_id, seed, expires_at FROM otp_codes WHERE phone_number = ? AND "
                             "consumed_at IS NULL AND attempts < max_attempts AND expires_at >= ?");
      live.bind(1, request.phone_number);
      live.bind(2, to_unix_ms(request.now) + request.reuse_if_remaining->count());
      if (live.executeStep()) {
        IssuedCode kept{live.getColumn(0).getString(), column_blob(live.getColumn(1)),
                        from_unix_ms(live.getColumn(2).getInt64()), true};
        count_limits(db, request.limits, request.now, request.reservation_id);
        tx.commit();
        return kept;
      }
    }

    IssuedCode fresh{request.reservation_id, request.new_seed, request.new_expires_at, false};
    SQLite::Statement replace(db,
                              "INSERT INTO otp_codes (phone_number, challenge_id, seed, code_hash, created_at, "
                              "expires_at, attempts, max_attempts, consumed_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL) "
                              "ON CONFLICT (phone_number) DO UPDATE SET challenge_id = excluded.challenge_id, "
                              "seed = excluded.seed, code_hash = excluded.code_hash, created_at = excluded.created_at, "
                              "expires_at = excluded.expires_at, attempts = 0, max_attempts = excluded.max_attempts, "
                              "consumed_at = NULL");
    replace.bind(1, request.phone_number);
    replace.bind(2, fresh.challenge_id);
    bind_blob(replace, 3, request.new_seed);
    bind_blob(replace, 4, request.new_code_hash);
    replace.bind(5, to_unix_ms(request.now));
    replace.bind(6, to_unix_ms(request.new_expires_at));
    replace.bind(7, request.max_attempts);
    replace.exec();
    count_limits(db, request.limits, request.now, request.reservation_id);
    tx.commit();
    return fresh;
  });
}

void SqliteRepository::cancel_issue(const std::string& phone_number, const std::string& challenge_id,
                                    const std::string& reservation_id, bool remove_code) {
  with_database([&](SQLite::Database& db) {
    ImmediateTransaction tx(db);
    SQLite::Statement refund(db, "DELETE FROM rate_events WHERE reservation = ?");
    refund.bind(1, reservation_id);
    refund.exec();
    if (remove_code) {
      SQLite::Statement remove(db, "DELETE FROM otp_codes WHERE phone_number = ? AND challenge_id = ?");
      remove.bind(1, phone_number);
      remove.bind(2, challenge_id);
      remove.exec();
    }
    tx.commit();
  });
}

VerifyCodeResult SqliteRepository::verify_code(const VerifyCodeRequest& request) {
  return with_database([&](SQLite::Database& db) {
    VerifyCodeResult out;
    ImmediateTransaction tx(db);

    std::vector<WindowLimit> checked = request.attempt_limits;
    if (request.failure_limit) {
      checked.push_back(*request.failure_limit);
      checked.back().count = false;  // only wrong codes fill it
    }
    if (auto refused = check_limits(db, checked, request.now)) {
      out.status = VerifyStatus::limited;
      out.limit_name = refused->name;
      out.retry_after = refused->retry_after;
      return out;  // a refused attempt is not counted: rolled back
    }
    count_limits(db, request.attempt_limits, request.now, {});

    SQLite::Statement select(db,
                             "SELECT challenge_id, code_hash, expires_at, attempts, max_attempts, consumed_at "
                             "FROM otp_codes WHERE phone_number = ?");
    select.bind(1, request.phone_number);
    if (!select.executeStep() || !select.getColumn(5).isNull()) {
      out.status = VerifyStatus::no_code;
      tx.commit();
      return out;
    }
    StoredCode code{select.getColumn(0).getString(), column_blob(select.getColumn(1)),
                    from_unix_ms(select.getColumn(2).getInt64()), select.getColumn(3).getInt(),
                    select.getColumn(4).getInt()};
    select.reset();
    if (request.now >= code.expires_at) {
      out.status = VerifyStatus::expired;
      tx.commit();
      return out;
    }
    if (code.attempts >= code.max_attempts) {
      out.status = VerifyStatus::code_locked;
      out.retry_after = std::chrono::duration_cast<Milliseconds>(code.expires_at - request.now);
      tx.commit();
      return out;
    }

    // Count first, compare second: a crash or a parallel request can never get a free try.
    code.attempts += 1;
    SQLite::Statement count_attempt(db, "UPDATE otp_codes SET attempts = ? WHERE phone_number = ?");
    count_attempt.bind(1, code.attempts);
    count_attempt.bind(2, request.phone_number);
    count_attempt.exec();

    if (!request.matches(code)) {
      if (request.failure_limit) count_limits(db, {*request.failure_limit}, request.now, {});
      out.status = VerifyStatus::wrong_code;
      out.attempts_left = code.max_attempts - code.attempts;
      tx.commit();
      return out;
    }

    SQLite::Statement consume(db, "UPDATE otp_codes SET consumed_at = ? WHERE phone_number = ?");
    consume.bind(1, to_unix_ms(request.now));
    consume.bind(2, request.phone_number);
    consume.exec();

    SQLite::Statement find(db, std::string(kUserColumns) + "WHERE phone_number = ?");
    find.bind(1, request.phone_number);
    if (find.executeStep()) {
      out.user = read_user(find);
    } else {
      out.user = UserRecord{request.session.new_user_id, request.phone_number, request.now, std::nullopt, false};
      out.user_created = true;
      SQLite::Statement create(db, "INSERT INTO users (id, phone_number, created_at) VALUES (?, ?, ?)");
      create.bind(1, out.user.id);
      create.bind(2, out.user.phone_number);
      create.bind(3, to_unix_ms(request.now));
      create.exec();
    }
    find.reset();
    if (out.user.blocked) {
      out.status = VerifyStatus::user_blocked;
      tx.commit();
      return out;
    }

    SQLite::Statement login(db, "UPDATE users SET last_login_at = ? WHERE id = ?");
    login.bind(1, to_unix_ms(request.now));
    login.bind(2, out.user.id);
    login.exec();
    out.user.last_login_at = request.now;

    SQLite::Statement session(db,
                              "INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at) "
                              "VALUES (?, ?, ?, ?, ?)");
    session.bind(1, request.session.session_id);
    session.bind(2, out.user.id);
    session.bind(3, to_unix_ms(request.now));
    session.bind(4, to_unix_ms(request.session.session_expires_at));
    session.bind(5, to_unix_ms(request.now));
    session.exec();

    SQLite::Statement token(db,
                            "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) "
                            "VALUES (?, ?, ?, ?)");
    bind_blob(token, 1, request.session.refresh_token_hash);
    token.bind(2, request.session.session_id);
    token.bind(3, to_unix_ms(request.now));
    token.bind(4, to_unix_ms(request.session.refresh_expires_at));
    token.exec();

    if (request.failure_limit) {
      SQLite::Statement forgive(db, "DELETE FROM rate_events WHERE bucket = ?");
      forgive.bind(1, request.failure_limit->bucket);
      forgive.exec();
    }
    out.status = VerifyStatus::verified;
    tx.commit();
    return out;
  });
}

std::optional<UserRecord> SqliteRepository::find_user_by_id(const std::string& user_id) {
  return with_database([&](SQLite::Database& db) -> std::optional<UserRecord> {
    SQLite::Statement find(db, std::string(kUserColumns) + "WHERE id = ?");
    find.bind(1, user_id);
    if (!find.executeStep()) return std::nullopt;
    return read_user(find);
  });
}

std::optional<UserRecord> SqliteRepository::find_user_by_phone(const std::string& phone_number) {
  return with_database([&](SQLite::Database& db) -> std::optional<UserRecord> {
    SQLite::Statement find(db, std::string(kUserColumns) + "WHERE phone_number = ?");
    find.bind(1, phone_number);
    if (!find.executeStep()) return std::nullopt;
    return read_user(find);
  });
}

std::size_t SqliteRepository::prune(TimePoint now, std::chrono::seconds longest_window) {
  return with_database([&](SQLite::Database& db) {
    ImmediateTransaction tx(db);
    SQLite::Statement events(db, "DELETE FROM rate_events WHERE at_ms <= ?");
    events.bind(1, to_unix_ms(now) - std::chrono::duration_cast<Milliseconds>(longest_window).count());
    std::size_t removed = static_cast<std::size_t>(events.exec());
    // Expired codes are kept a day so that a late verify still reads "expired" rather than "no code".
    SQLite::Statement codes(db, "DELETE FROM otp_codes WHERE expires_at <= ?");
    codes.bind(1, static_cast<std::int64_t>(to_unix_ms(now) - std::int64_t{86400} * 1000));
    removed += static_cast<std::size_t>(codes.exec());
    tx.commit();
    return removed;
  });
}

}  // namespace sms_auth
