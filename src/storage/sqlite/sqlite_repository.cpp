// SQLite implementation of the repository: each public call is one BEGIN IMMEDIATE transaction.
#include "storage/sqlite/sqlite_repository.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <filesystem>

#include "auth/verify_rules.hpp"
#include "ratelimit/limit_verdict.hpp"
#include "storage/sqlite/sqlite_schema.hpp"
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {
namespace {

constexpr int kBusyTimeoutMs = 5000;

std::int64_t count_events(SqliteConnection& db, const std::string& bucket, std::int64_t since_ms) {
  Prepared count(db, "SELECT COUNT(*) FROM rate_events WHERE bucket = ? AND at_ms > ?");
  count.bind(1, bucket);
  count.bind(2, since_ms);
  count.executeStep();
  return count.getColumn(0).getInt64();
}

// The n-th most recent event of `bucket` after `since_ms`, if the window holds that many. One backward walk of the
// (bucket, at_ms) index of at most n steps, whatever the bucket's size: a COUNT(*) would read every event of a busy
// bucket (the global one holds every SMS of the day) on every send.
std::optional<std::int64_t> nth_latest_event(SqliteConnection& db, const std::string& bucket, std::int64_t since_ms,
                                             int n) {
  Prepared nth(db,
               "SELECT at_ms FROM rate_events WHERE bucket = ? AND at_ms > ? ORDER BY at_ms DESC LIMIT 1 "
               "OFFSET ?");
  nth.bind(1, bucket);
  nth.bind(2, since_ms);
  nth.bind(3, n - 1);
  if (!nth.executeStep()) return std::nullopt;
  return nth.getColumn(0).getInt64();
}

// When a window read from per-minute totals is full, the end of the minute slot that fills it (the window reopens
// when that slot leaves it); nullopt while there is room. At most one row per minute of the window is read.
std::optional<std::int64_t> filling_slot_end(SqliteConnection& db, const std::string& bucket, TimePoint since,
                                             int limit) {
  Prepared slots(db, "SELECT slot, events FROM rate_totals WHERE bucket = ? AND slot >= ? ORDER BY slot DESC");
  slots.bind(1, bucket);
  slots.bind(2, totals_slot(since));
  std::int64_t seen = 0;
  while (slots.executeStep()) {
    seen += slots.getColumn(1).getInt64();
    if (seen >= limit) return (slots.getColumn(0).getInt64() + 1) * kTotalsSlot.count();
  }
  return std::nullopt;
}

// The events of `bucket` in the per-minute slots from `since`'s on: up to one minute more than the window, read in
// at most one row per minute (a country's bucket holds every SMS sent to it).
std::int64_t total_events(SqliteConnection& db, const std::string& bucket, TimePoint since) {
  Prepared sum(db, "SELECT COALESCE(SUM(events), 0) FROM rate_totals WHERE bucket = ? AND slot >= ?");
  sum.bind(1, bucket);
  sum.bind(2, totals_slot(since));
  sum.executeStep();
  return sum.getColumn(0).getInt64();
}

// The unverified-SMS budget's reading: the limit-th most recent unverified SMS in the window (a walk of at most
// `limit` index entries; a larger budget from the per-minute totals kept under the limit's bucket name), then, only
// when spent, the exemption facts.
WindowReading read_unverified_budget(SqliteConnection& db, const WindowLimit& limit, TimePoint now) {
  WindowReading reading;
  const TimePoint start = window_start(limit, now);
  if (read_from_totals(limit)) {
    if (const auto filling = filling_slot_end(db, limit.bucket, start, limit.limit)) {
      reading.filling_event = from_unix_ms(*filling);
    }
  } else {
    Prepared nth(db,
                 "SELECT sent_at_ms FROM unverified_sms WHERE sent_at_ms > ? ORDER BY sent_at_ms DESC "
                 "LIMIT 1 OFFSET ?");
    nth.bind(1, to_unix_ms(start));
    nth.bind(2, limit.limit - 1);
    if (nth.executeStep()) reading.filling_event = from_unix_ms(nth.getColumn(0).getInt64());
  }
  if (!needs_exemption_facts(limit, reading)) return reading;

  const BudgetExemption& exemption = *limit.unverified;
  Prepared user(db, "SELECT 1 FROM users WHERE phone_number = ? AND blocked_at IS NULL");
  user.bind(1, exemption.phone_number);
  reading.returning_user = user.executeStep();
  if (!needs_range_facts(limit, reading)) return reading;

  const TimePoint since = now - std::chrono::duration_cast<Milliseconds>(exemption.conversion_window);
  reading.range_sent = count_events(db, exemption.range_bucket, to_unix_ms(since));
  reading.range_verified = count_events(db, exemption.range_verified_bucket, to_unix_ms(since));
  reading.country_sent = total_events(db, exemption.country_bucket, since);
  reading.country_verified = total_events(db, exemption.country_verified_bucket, since);
  return reading;
}

// What limit_verdict needs of one window, read inside the caller's transaction.
WindowReading read_window(SqliteConnection& db, const WindowLimit& limit, TimePoint now) {
  if (limit.unverified) return read_unverified_budget(db, limit, now);
  const TimePoint since = window_start(limit, now);
  WindowReading reading;
  const auto filling = read_from_totals(limit) ? filling_slot_end(db, limit.bucket, since, limit.limit)
                                               : nth_latest_event(db, limit.bucket, to_unix_ms(since), limit.limit);
  if (filling) reading.filling_event = from_unix_ms(*filling);
  if (needs_conversion_counts(limit, reading)) {
    reading.events = count_events(db, limit.bucket, to_unix_ms(since));
    reading.converted = count_events(db, limit.conversion->converted_bucket, to_unix_ms(since));
  }
  return reading;
}

std::optional<LimitExceeded> check_limits(SqliteConnection& db, const std::vector<WindowLimit>& limits, TimePoint now) {
  return first_refusal(limits, now, [&](const WindowLimit& limit) { return read_window(db, limit, now); });
}

void count_buckets(SqliteConnection& db, const std::vector<std::string>& buckets, TimePoint now,
                   const std::string& reservation) {
  Prepared insert(db, "INSERT INTO rate_events (bucket, at_ms, reservation) VALUES (?, ?, ?)");
  Prepared total(db,
                 "INSERT INTO rate_totals (bucket, slot, events) VALUES (?, ?, 1) "
                 "ON CONFLICT (bucket, slot) DO UPDATE SET events = events + 1");
  for (const auto& bucket : buckets) {
    insert.bind(1, bucket);
    insert.bind(2, to_unix_ms(now));
    if (reservation.empty()) {
      insert.bind(3);
    } else {
      insert.bind(3, reservation);
    }
    insert.exec();
    insert.reset();
    total.bind(1, bucket);
    total.bind(2, totals_slot(now));
    total.exec();
    total.reset();
  }
}

// Deletes the events `select_events` finds (bucket, at_ms; its parameters bound by `bind`), keeping rate_totals in
// step. Used for refunds and forgiveness, which touch a handful of events.
template <class Bind>
void forget_events(SqliteConnection& db, const std::string& where, Bind&& bind) {
  Prepared select(db, "SELECT bucket, at_ms FROM rate_events WHERE " + where);
  bind(select);
  Prepared decrement(db, "UPDATE rate_totals SET events = events - 1 WHERE bucket = ? AND slot = ?");
  while (select.executeStep()) {
    decrement.bind(1, select.getColumn(0).getString());
    decrement.bind(2, totals_slot(from_unix_ms(select.getColumn(1).getInt64())));
    decrement.exec();
    decrement.reset();
  }
  Prepared remove(db, "DELETE FROM rate_events WHERE " + where);
  bind(remove);
  remove.exec();
}

void count_limits(SqliteConnection& db, const std::vector<WindowLimit>& limits, TimePoint now,
                  const std::string& reservation) {
  count_buckets(db, counted_buckets(limits), now, reservation);
}

// Every send is unverified SMS until a verification of its code deletes the row (see verify_code). Its per-minute
// total (under the budget's bucket name) is kept in step, for a budget too large to walk.
void record_unverified(SqliteConnection& db, const IssueCodeRequest& request, const std::string& challenge_id) {
  Prepared insert(db,
                  "INSERT INTO unverified_sms (reservation, phone_number, challenge_id, sent_at_ms) "
                  "VALUES (?, ?, ?, ?) ON CONFLICT (reservation) DO NOTHING");
  insert.bind(1, request.reservation_id);
  insert.bind(2, request.phone_number);
  insert.bind(3, challenge_id);
  insert.bind(4, to_unix_ms(request.now));
  if (insert.exec() == 0) return;
  Prepared total(db,
                 "INSERT INTO rate_totals (bucket, slot, events) VALUES (?, ?, 1) "
                 "ON CONFLICT (bucket, slot) DO UPDATE SET events = events + 1");
  total.bind(1, std::string(kUnverifiedSmsBucket));
  total.bind(2, totals_slot(request.now));
  total.exec();
}

// Deletes the unverified SMS `where` finds (its parameters bound by `bind`), keeping their totals in step.
template <class Bind>
void forget_unverified(SqliteConnection& db, const std::string& where, Bind&& bind) {
  Prepared select(db, "SELECT sent_at_ms FROM unverified_sms WHERE " + where);
  bind(select);
  Prepared decrement(db, "UPDATE rate_totals SET events = events - 1 WHERE bucket = ? AND slot = ?");
  while (select.executeStep()) {
    decrement.bind(1, std::string(kUnverifiedSmsBucket));
    decrement.bind(2, totals_slot(from_unix_ms(select.getColumn(0).getInt64())));
    decrement.exec();
    decrement.reset();
  }
  Prepared remove(db, "DELETE FROM unverified_sms WHERE " + where);
  bind(remove);
  remove.exec();
}

}  // namespace

SqliteRepository::SqliteRepository(const std::string& path) {
  try {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                                             kBusyTimeoutMs);
    db_->exec("PRAGMA journal_mode = WAL");
    // FULL: a commit is on disk before we answer 200, so kill -9 or power loss never revives a used code nor loses a
    // counted send. Group commit (GroupCommit) is what keeps that affordable: one fsync for the calls that queued up.
    db_->exec("PRAGMA synchronous = FULL");
    db_->exec("PRAGMA foreign_keys = ON");
    // A call inside a group is a savepoint, which journals every page it changes that existed before it (tens per
    // send). Past 64 KiB SQLite spills that journal to a temporary file in /var/tmp, and its writes were 3x the WAL's;
    // in memory it is one call's pages at most (emptied when the call's savepoint is released). Temporary tables stay
    // small in memory too: the serving statements sort at most a LIMIT's rows (only migration 5's GROUP BY, once, on
    // a database from before it, sorts more).
    db_->exec("PRAGMA temp_store = MEMORY");
    statements_ = std::make_unique<StatementCache>();
  } catch (const std::exception& e) {
    throw StorageUnavailable(std::string("cannot open SQLite database ") + path + ": " + e.what());
  }
}

SqliteRepository::~SqliteRepository() = default;

void configure_sqlite_for_this_process() {
  // SQLITE_MISUSE when SQLite is already in use: the defaults then stay, which are correct, only slower.
  (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

StorageBackend sqlite_storage_backend(std::string path, int read_connections) {
  StorageBackend backend;
  backend.open_connection = [path = std::move(path)] { return std::make_unique<SqliteRepository>(path); };
  backend.options.name = "sqlite";
  backend.options.connections = 1;
  backend.options.read_connections = read_connections;
  // Up to 64 writes share a commit: enough for every connection of a busy instance in one fsync, while the last of
  // them still waits only for the first 63 calls' CPU time (well under a millisecond each) before its answer.
  backend.options.max_group = 64;
  return backend;
}

void SqliteRepository::begin_group() {
  with_database([](SqliteConnection& db) { db.exec("BEGIN IMMEDIATE"); });
}

bool SqliteRepository::group_is_open() {
  std::lock_guard lock(mutex_);
  return sqlite3_get_autocommit(db_->getHandle()) == 0;
}

void SqliteRepository::commit_group() {
  with_database([](SqliteConnection& db) { db.exec("COMMIT"); });
}

void SqliteRepository::rollback_group() noexcept {
  std::lock_guard lock(mutex_);
  try {
    if (sqlite3_get_autocommit(db_->getHandle()) == 0) db_->exec("ROLLBACK");
  } catch (...) {  // NOLINT(bugprone-empty-catch): a connection that cannot roll back is reopened by its next failure
  }
}

void SqliteRepository::migrate() {
  with_database([](SqliteConnection& db) {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    for (const auto& migration : sqlite_migrations()) {
      ImmediateTransaction tx(db);
      Prepared applied(db, "SELECT 1 FROM schema_migrations WHERE version = ?");
      applied.bind(1, migration.version);
      if (!applied.executeStep()) {
        db.exec(std::string(migration.sql));
        Prepared mark(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
        mark.bind(1, migration.version);
        mark.bind(2, to_unix_ms(SystemTimeSource{}.now()));
        mark.exec();
      }
      tx.commit();
    }
  });
}

int SqliteRepository::schema_version() {
  return with_database([](SqliteConnection& db) {
    if (!db.tableExists("schema_migrations")) return 0;
    return db.execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").getInt();
  });
}

int SqliteRepository::expected_schema_version() const {
  // The highest version, not the last listed: branches append their migrations in merge order.
  int highest = 0;
  for (const auto& migration : sqlite_migrations()) highest = std::max(highest, migration.version);
  return highest;
}

void SqliteRepository::ping() {
  with_database([](SqliteConnection& db) { db.execAndGet("SELECT 1"); });
}

result<IssuedCode, LimitExceeded> SqliteRepository::issue_code(const IssueCodeRequest& request) {
  return with_database([&](SqliteConnection& db) -> result<IssuedCode, LimitExceeded> {
    ImmediateTransaction tx(db);
    if (auto refused = check_limits(db, request.limits, request.now)) return *refused;

    if (request.reuse_if_remaining || request.reuse_uncertain_if_remaining) {
      Prepared live(db,
                    "SELECT challenge_id, seed, expires_at, delivery_uncertain FROM otp_codes WHERE "
                    "phone_number = ? AND consumed_at IS NULL AND attempts < max_attempts AND expires_at > ?");
      live.bind(1, request.phone_number);
      live.bind(2, to_unix_ms(request.now));
      if (live.executeStep()) {
        const auto expires_at_ms = live.getColumn(2).getInt64();
        const bool uncertain = live.getColumn(3).getInt() != 0;
        const auto has_left = [&](const std::optional<std::chrono::milliseconds>& least) {
          return least && expires_at_ms >= to_unix_ms(request.now) + least->count();
        };
        if (has_left(request.reuse_if_remaining) || (uncertain && has_left(request.reuse_uncertain_if_remaining))) {
          IssuedCode kept{live.getColumn(0).getString(), column_blob(live.getColumn(1)), from_unix_ms(expires_at_ms),
                          true, uncertain};
          live.reset();
          count_limits(db, request.limits, request.now, request.reservation_id);
          count_buckets(db, request.tallies, request.now, request.reservation_id);
          record_unverified(db, request, kept.challenge_id);
          tx.commit();
          return kept;
        }
      }
    }

    IssuedCode fresh{request.reservation_id, request.new_seed, request.new_expires_at, false, false};
    Prepared replace(db,
                     "INSERT INTO otp_codes (phone_number, challenge_id, seed, code_hash, created_at, "
                     "expires_at, attempts, max_attempts, consumed_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL) "
                     "ON CONFLICT (phone_number) DO UPDATE SET challenge_id = excluded.challenge_id, "
                     "seed = excluded.seed, code_hash = excluded.code_hash, created_at = excluded.created_at, "
                     "expires_at = excluded.expires_at, attempts = 0, max_attempts = excluded.max_attempts, "
                     "consumed_at = NULL, delivery_uncertain = 0");
    replace.bind(1, request.phone_number);
    replace.bind(2, fresh.challenge_id);
    bind_blob(replace, 3, request.new_seed);
    bind_blob(replace, 4, request.new_code_hash);
    replace.bind(5, to_unix_ms(request.now));
    replace.bind(6, to_unix_ms(request.new_expires_at));
    replace.bind(7, request.max_attempts);
    replace.exec();
    count_limits(db, request.limits, request.now, request.reservation_id);
    count_buckets(db, request.tallies, request.now, request.reservation_id);
    record_unverified(db, request, fresh.challenge_id);
    tx.commit();
    return fresh;
  });
}

void SqliteRepository::cancel_issue(const std::string& phone_number, const std::string& challenge_id,
                                    const std::string& reservation_id, bool remove_code,
                                    const std::vector<std::string>& keep_buckets) {
  with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    std::string where = "reservation = ?";
    if (!keep_buckets.empty()) {
      where += " AND bucket NOT IN (?";
      for (std::size_t i = 1; i < keep_buckets.size(); ++i) where += ", ?";
      where += ")";
    }
    forget_events(db, where, [&](SQLite::Statement& statement) {
      statement.bind(1, reservation_id);
      for (std::size_t i = 0; i < keep_buckets.size(); ++i) statement.bind(static_cast<int>(i) + 2, keep_buckets[i]);
    });
    // Surely not sent: not unverified SMS spent, whatever limit buckets a gateway refusal keeps.
    forget_unverified(db, "reservation = ?", [&](SQLite::Statement& statement) { statement.bind(1, reservation_id); });
    if (remove_code) {
      Prepared remove(db, "DELETE FROM otp_codes WHERE phone_number = ? AND challenge_id = ?");
      remove.bind(1, phone_number);
      remove.bind(2, challenge_id);
      remove.exec();
    }
    tx.commit();
  });
}

void SqliteRepository::mark_delivery_uncertain(const std::string& phone_number, const std::string& challenge_id,
                                               bool uncertain) {
  with_database([&](SqliteConnection& db) {
    Prepared mark(db, "UPDATE otp_codes SET delivery_uncertain = ? WHERE phone_number = ? AND challenge_id = ?");
    mark.bind(1, uncertain ? 1 : 0);
    mark.bind(2, phone_number);
    mark.bind(3, challenge_id);
    mark.exec();
  });
}

// The three steps of auth/verify_rules.hpp in one BEGIN IMMEDIATE transaction.
VerifyCodeResult SqliteRepository::verify_code(const VerifyCodeRequest& request) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);

    const VerifyLimitChecks checks = verify_checked_limits(request);
    VerifyLimitReadings readings;
    readings.in_order = check_limits(db, checks.in_order, request.now);
    if (checks.number_lock) readings.number_lock = check_limits(db, {*checks.number_lock}, request.now);
    if (checks.client_has_failed) {
      readings.client_is_new = !check_limits(db, {*checks.client_has_failed}, request.now).has_value();
    }
    const auto refusal = verify_refusal(readings);
    std::optional<StoredCode> code;
    Prepared select(db,
                    "SELECT challenge_id, code_hash, expires_at, attempts, max_attempts, consumed_at "
                    "FROM otp_codes WHERE phone_number = ?");
    select.bind(1, request.phone_number);
    if (select.executeStep()) {
      code = StoredCode{select.getColumn(0).getString(), column_blob(select.getColumn(1)),
                        from_unix_ms(select.getColumn(2).getInt64()), select.getColumn(3).getInt(),
                        select.getColumn(4).getInt(), !select.getColumn(5).isNull()};
    }
    select.reset();

    const VerifyAttemptDecision attempt = decide_verify_attempt(refusal, code, request.now);
    if (!attempt.count_attempt_limits) return attempt.answer;  // refused by a limit: nothing counted, rolled back
    count_limits(db, request.attempt_limits, request.now, {});
    if (!attempt.compare) {
      tx.commit();
      return attempt.answer;
    }

    // Count first, compare second: a crash or a parallel request can never get a free try.
    code->attempts += 1;
    Prepared count_attempt(db, "UPDATE otp_codes SET attempts = ? WHERE phone_number = ?");
    count_attempt.bind(1, code->attempts);
    count_attempt.bind(2, request.phone_number);
    count_attempt.exec();

    const CodeComparison comparison = decide_comparison(*code, request.submitted_code_hash);
    if (!comparison.matched) {
      if (comparison.count_failure) count_limits(db, verify_failure_limits(request), request.now, request.failure_tag);
      tx.commit();
      return comparison.answer;
    }

    Prepared consume(db, "UPDATE otp_codes SET consumed_at = ? WHERE phone_number = ?");
    consume.bind(1, to_unix_ms(request.now));
    consume.bind(2, request.phone_number);
    consume.exec();
    // Every SMS that carried this code converted (a blocked user's too: the SMS reached a real person).
    forget_unverified(db, "phone_number = ? AND challenge_id = ?", [&](SQLite::Statement& statement) {
      statement.bind(1, request.phone_number);
      statement.bind(2, code->challenge_id);
    });

    std::optional<UserRecord> existing;
    Prepared find(db, sql_of(kUserByPhone));
    find.bind(1, request.phone_number);
    if (find.executeStep()) existing = read_user(find);
    find.reset();

    const LoginDecision login = decide_login(existing);
    VerifyCodeResult out;
    out.status = login.status;
    if (login.create_user) {
      out.user = UserRecord{request.session.new_user_id, request.phone_number, request.now, std::nullopt, false};
      out.user_created = true;
      Prepared create(db, "INSERT INTO users (id, phone_number, created_at) VALUES (?, ?, ?)");
      create.bind(1, out.user.id);
      create.bind(2, out.user.phone_number);
      create.bind(3, to_unix_ms(request.now));
      create.exec();
    } else {
      out.user = *existing;
    }
    if (!login.open_session) {
      tx.commit();
      return out;
    }

    Prepared last_login(db, "UPDATE users SET last_login_at = ? WHERE id = ?");
    last_login.bind(1, to_unix_ms(request.now));
    last_login.bind(2, out.user.id);
    last_login.exec();
    out.user.last_login_at = request.now;

    Prepared session(db,
                     "INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at) "
                     "VALUES (?, ?, ?, ?, ?)");
    session.bind(1, request.session.session_id);
    session.bind(2, out.user.id);
    session.bind(3, to_unix_ms(request.now));
    session.bind(4, to_unix_ms(request.session.session_expires_at));
    session.bind(5, to_unix_ms(request.now));
    session.exec();

    Prepared token(db,
                   "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) "
                   "VALUES (?, ?, ?, ?)");
    bind_blob(token, 1, request.session.refresh_token_hash);
    token.bind(2, request.session.session_id);
    token.bind(3, to_unix_ms(request.now));
    token.bind(4, to_unix_ms(request.session.refresh_expires_at));
    token.exec();

    for (const WindowLimit& failures : verify_failure_limits(request)) {
      // The tag rides in the reservation column: failures are never refunded otherwise, and their tags ("client:…")
      // cannot collide with a send's random reservation id.
      forget_events(db, request.failure_tag.empty() ? "bucket = ?" : "bucket = ? AND reservation = ?",
                    [&](SQLite::Statement& statement) {
                      statement.bind(1, failures.bucket);
                      if (!request.failure_tag.empty()) statement.bind(2, request.failure_tag);
                    });
    }
    count_buckets(db, request.success_tallies, request.now, {});
    tx.commit();
    return out;
  });
}

std::optional<UserRecord> SqliteRepository::find_user_by_id(const std::string& user_id) {
  return with_database([&](SqliteConnection& db) -> std::optional<UserRecord> {
    Prepared find(db, sql_of(kUserById));
    find.bind(1, user_id);
    if (!find.executeStep()) return std::nullopt;
    return read_user(find);
  });
}

std::optional<UserRecord> SqliteRepository::find_user_by_phone(const std::string& phone_number) {
  return with_database([&](SqliteConnection& db) -> std::optional<UserRecord> {
    Prepared find(db, sql_of(kUserByPhone));
    find.bind(1, phone_number);
    if (!find.executeStep()) return std::nullopt;
    return read_user(find);
  });
}

std::size_t SqliteRepository::prune(TimePoint now, std::chrono::seconds longest_window) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    Prepared events(db, "DELETE FROM rate_events WHERE at_ms <= ?");
    events.bind(1, to_unix_ms(now) - std::chrono::duration_cast<Milliseconds>(longest_window).count());
    std::size_t removed = static_cast<std::size_t>(events.exec());
    Prepared totals(db, "DELETE FROM rate_totals WHERE (slot + 1) * 60000 <= ?");
    totals.bind(1, to_unix_ms(now) - std::chrono::duration_cast<Milliseconds>(longest_window).count());
    totals.exec();
    Prepared unverified(db, "DELETE FROM unverified_sms WHERE sent_at_ms <= ?");
    unverified.bind(1, to_unix_ms(now) - std::chrono::duration_cast<Milliseconds>(longest_window).count());
    removed += static_cast<std::size_t>(unverified.exec());
    // Expired codes are kept a day so that a late verify still reads "expired" rather than "no code".
    Prepared codes(db, "DELETE FROM otp_codes WHERE expires_at <= ?");
    codes.bind(1, static_cast<std::int64_t>(to_unix_ms(now) - std::int64_t{86400} * 1000));
    removed += static_cast<std::size_t>(codes.exec());
    tx.commit();
    return removed;
  });
}

}  // namespace sms_auth
