// PostgreSQL implementation of the repository: each public call is one READ COMMITTED transaction. Limits are held
// across instances by an advisory lock per checked bucket (taken in one fixed order), codes by the row lock of one
// conditional UPDATE … RETURNING that counts the attempt before the code is compared.
#include "storage/postgres/postgres_repository.hpp"

#include <algorithm>
#include <type_traits>

#include "auth/verify_rules.hpp"
#include "ratelimit/limit_verdict.hpp"
#include "storage/postgres/pg_schema.hpp"
#include "storage/postgres/pg_support.hpp"

namespace sms_auth {
namespace {

// Both keys of the two-key advisory lock space (which never meets the one-key space): migrations, limit buckets.
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_xact_lock(7301, 0)";

constexpr PgStatement kLockBuckets{
    "lock_buckets",
    "SELECT pg_advisory_xact_lock(7302, k) FROM (SELECT DISTINCT hashtext(b) AS k FROM unnest($1::text[]) AS b "
    "ORDER BY k) AS sorted"};
// Every plain window of one call in one round trip (they are read under the buckets' locks, and the global caps' lock
// serializes sends, so each round trip saved there is saved for every instance): per window ($1 bucket, $2 its start,
// $3 its limit, $4 whether it is read from the per-minute totals), when full, the instant that reopens it: the
// limit-th most recent event, or the end of the minute slot in which the totals reach the limit.
constexpr PgStatement kFillingEvents{
    "filling_events",
    "SELECT t.i, CASE WHEN t.totals THEN "
    "(SELECT (x.slot + 1) * 60000 FROM (SELECT slot, SUM(events) OVER (ORDER BY slot DESC) AS seen FROM rate_totals "
    "WHERE bucket = t.b AND slot >= t.s) AS x WHERE x.seen >= t.n ORDER BY x.slot DESC LIMIT 1) "
    "ELSE (SELECT at_ms FROM rate_events WHERE bucket = t.b AND at_ms > t.s ORDER BY at_ms DESC LIMIT 1 "
    "OFFSET t.n - 1) END "
    "FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::boolean[]) WITH ORDINALITY AS t(b, s, n, totals, i)"};
constexpr PgStatement kCountEvents{"count_events",
                                   "SELECT COUNT(*) FROM rate_events WHERE bucket = $1 AND at_ms > $2"};
// Events and their per-minute totals in one statement (the totals by upsert, in bucket order).
constexpr PgStatement kCountBuckets{
    "count_buckets",
    "WITH added AS (INSERT INTO rate_events (bucket, at_ms, reservation) SELECT b, $2, $3 FROM unnest($1::text[]) "
    "AS b) INSERT INTO rate_totals (bucket, slot, events) SELECT b, $2 / 60000, COUNT(*) FROM unnest($1::text[]) "
    "AS b GROUP BY b ORDER BY b ON CONFLICT (bucket, slot) DO UPDATE SET events = rate_totals.events + "
    "EXCLUDED.events"};
constexpr PgStatement kForgetReservation{
    "forget_reservation",
    "WITH gone AS (DELETE FROM rate_events WHERE reservation = $1 AND NOT (bucket = ANY($2::text[])) "
    "RETURNING bucket, at_ms), "
    "per_slot AS (SELECT bucket, at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1, 2) "
    "UPDATE rate_totals t SET events = t.events - per_slot.n FROM per_slot "
    "WHERE t.bucket = per_slot.bucket AND t.slot = per_slot.slot"};
// $2 NULL: every event of the bucket.
constexpr PgStatement kForgetBucket{
    "forget_bucket",
    "WITH gone AS (DELETE FROM rate_events WHERE bucket = $1 AND ($2::text IS NULL OR reservation = $2) "
    "RETURNING bucket, at_ms), "
    "per_slot AS (SELECT bucket, at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1, 2) "
    "UPDATE rate_totals t SET events = t.events - per_slot.n FROM per_slot "
    "WHERE t.bucket = per_slot.bucket AND t.slot = per_slot.slot"};

constexpr PgStatement kTotalEvents{
    "total_events", "SELECT COALESCE(SUM(events), 0)::bigint FROM rate_totals WHERE bucket = $1 AND slot >= $2"};
constexpr PgStatement kNthUnverified{
    "nth_unverified",
    "SELECT sent_at_ms FROM unverified_sms WHERE sent_at_ms > $1 ORDER BY sent_at_ms DESC LIMIT 1 OFFSET $2"};
constexpr PgStatement kReturningUser{"returning_user",
                                     "SELECT 1 FROM users WHERE phone_number = $1 AND blocked_at IS NULL"};
constexpr PgStatement kForgetUnverified{
    "forget_unverified",
    "WITH gone AS (DELETE FROM unverified_sms WHERE reservation = $1 RETURNING sent_at_ms), "
    "per_slot AS (SELECT sent_at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1) "
    "UPDATE rate_totals t SET events = t.events - per_slot.n FROM per_slot WHERE t.bucket = $2 AND t.slot = "
    "per_slot.slot"};
constexpr PgStatement kCodeConverted{
    "code_converted",
    "WITH gone AS (DELETE FROM unverified_sms WHERE phone_number = $1 AND challenge_id = $2 RETURNING sent_at_ms), "
    "per_slot AS (SELECT sent_at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1) "
    "UPDATE rate_totals t SET events = t.events - per_slot.n FROM per_slot WHERE t.bucket = $3 AND t.slot = "
    "per_slot.slot"};
constexpr PgStatement kPruneUnverified{"prune_unverified", "DELETE FROM unverified_sms WHERE sent_at_ms <= $1"};

constexpr PgStatement kLiveCode{
    "live_code",
    "SELECT challenge_id, seed, expires_at, delivery_uncertain FROM otp_codes WHERE phone_number = $1 AND "
    "consumed_at IS NULL AND attempts < max_attempts AND expires_at > $2 FOR UPDATE"};
constexpr PgStatement kMarkDeliveryUncertain{
    "mark_delivery_uncertain",
    "UPDATE otp_codes SET delivery_uncertain = $3 WHERE phone_number = $1 AND challenge_id = $2"};
// Everything a send writes, in one statement (one round trip under the send's locks instead of three): the new code
// unless a live one is kept ($11), the send's rate events, its unverified_sms row, and the per-minute totals of both
// in one upsert (one row per bucket and slot, in bucket order, so that no row is updated twice).
// $1 phone, $2 challenge id, $3 seed, $4 code hash, $5 now, $6 expiry, $7 max attempts, $8 reservation,
// $9 counted buckets, $10 the unverified-SMS bucket, $11 whether the code is new.
constexpr PgStatement kIssueWrites{
    "issue_writes",
    "WITH code AS (INSERT INTO otp_codes (phone_number, challenge_id, seed, code_hash, created_at, expires_at, "
    "attempts, max_attempts, consumed_at) SELECT $1, $2, $3, $4, $5, $6, 0, $7, NULL WHERE $11::boolean "
    "ON CONFLICT (phone_number) DO UPDATE SET challenge_id = EXCLUDED.challenge_id, seed = EXCLUDED.seed, "
    "code_hash = EXCLUDED.code_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, "
    "attempts = 0, max_attempts = EXCLUDED.max_attempts, consumed_at = NULL, delivery_uncertain = false), "
    "events AS (INSERT INTO rate_events (bucket, at_ms, reservation) SELECT b, $5, $8 FROM unnest($9::text[]) AS b), "
    "unverified AS (INSERT INTO unverified_sms (reservation, phone_number, challenge_id, sent_at_ms) "
    "VALUES ($8, $1, $2, $5) ON CONFLICT (reservation) DO NOTHING RETURNING sent_at_ms), "
    "counted AS (SELECT b, $5::bigint / 60000 AS slot FROM unnest($9::text[]) AS b "
    "UNION ALL SELECT $10::text, sent_at_ms / 60000 FROM unverified) "
    "INSERT INTO rate_totals (bucket, slot, events) SELECT b, slot, COUNT(*) FROM counted GROUP BY b, slot "
    "ORDER BY b, slot ON CONFLICT (bucket, slot) DO UPDATE SET events = rate_totals.events + EXCLUDED.events"};
constexpr PgStatement kRemoveCode{"remove_code",
                                  "DELETE FROM otp_codes WHERE phone_number = $1 AND challenge_id = $2"};
// Counts the attempt on a live code and locks its row, in one statement: the compare comes after it.
// Creates the user or, if the number has one, records the login unless blocked; either way returns the row. The
// returned id is $1 only when this statement created the user.
constexpr PgStatement kLockCode{
    "lock_code",
    "SELECT challenge_id, code_hash, expires_at, attempts, max_attempts, consumed_at IS NOT NULL FROM otp_codes "
    "WHERE phone_number = $1 FOR UPDATE"};
// Counts the attempt on the live code (the row is locked): the comparison comes after it.
constexpr PgStatement kTakeAttempt{
    "take_attempt",
    "UPDATE otp_codes SET attempts = attempts + 1 WHERE phone_number = $1 AND challenge_id = $2 AND "
    "consumed_at IS NULL AND attempts < max_attempts RETURNING attempts"};
constexpr PgStatement kConsumeCode{
    "consume_code",
    "UPDATE otp_codes SET consumed_at = $3 WHERE phone_number = $1 AND challenge_id = $2 AND consumed_at IS NULL "
    "RETURNING 1"};
constexpr PgStatement kLockUserByPhone{"lock_user_by_phone",
                                       "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users "
                                       "WHERE phone_number = $1 FOR UPDATE"};
constexpr PgStatement kInsertUser{"insert_user",
                                  "INSERT INTO users (id, phone_number, created_at) VALUES ($1, $2, $3)"};
constexpr PgStatement kRecordLogin{"record_login", "UPDATE users SET last_login_at = $2 WHERE id = $1"};
constexpr PgStatement kInsertSession{
    "insert_session",
    "INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $3)"};
constexpr PgStatement kInsertToken{
    "insert_token",
    "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)"};
constexpr PgStatement kUserById{"user_by_id",
                                "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users "
                                "WHERE id = $1"};
constexpr PgStatement kUserByPhone{"user_by_phone",
                                   "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users "
                                   "WHERE phone_number = $1"};
constexpr PgStatement kPruneEvents{"prune_events", "DELETE FROM rate_events WHERE at_ms <= $1"};
constexpr PgStatement kPruneTotals{"prune_totals", "DELETE FROM rate_totals WHERE (slot + 1) * 60000 <= $1"};
constexpr PgStatement kPruneCodes{"prune_codes", "DELETE FROM otp_codes WHERE expires_at <= $1"};
constexpr PgStatement kEventsByPrefix{
    "events_by_prefix",
    "SELECT bucket, COUNT(*) FROM rate_events WHERE bucket >= $1 AND bucket < $2 AND at_ms > $3 GROUP BY bucket"};
// Two statements, not one CASE: the server resolves every table a statement names before running any of it, so a
// statement that reads schema_migrations fails on a database that has none yet, whatever branch it would take.
constexpr PgStatement kHasSchema{"has_schema", "SELECT to_regclass('schema_migrations') IS NOT NULL"};
constexpr PgStatement kSchemaVersion{"schema_version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
constexpr PgStatement kPing{"ping", "SELECT 1"};

void lock_buckets(PgConnection& c, const std::vector<WindowLimit>& limits) {
  std::vector<std::string> buckets;
  for (const auto& limit : limits) buckets.push_back(limit.bucket);
  if (!buckets.empty()) c.exec_deferred(kLockBuckets, {text_array(buckets)});  // goes out with the first read
}

// The unverified-SMS budget's reading (under the lock of its bucket, which every send takes while the budget is on,
// so that concurrent sends on all instances see each other's rows): the limit-th most recent unverified SMS in the
// window, then, only when spent, the exemption facts. A country is read from its per-minute totals.
// `from_totals`: the filling event already read from the per-minute totals with the plain windows (a budget too large
// to walk), or nullopt to walk the rows here.
WindowReading read_unverified_budget(PgConnection& c, const WindowLimit& limit, TimePoint now,
                                     std::optional<std::optional<TimePoint>> from_totals) {
  WindowReading reading;
  const TimePoint start = window_start(limit, now);
  if (from_totals) {
    reading.filling_event = *from_totals;
  } else {
    const auto nth = c.exec(kNthUnverified, {ms(start), limit.limit - 1});
    if (!nth.empty()) reading.filling_event = from_unix_ms(nth.integer(0, 0));
  }
  if (!needs_exemption_facts(limit, reading)) return reading;

  const BudgetExemption& exemption = *limit.unverified;
  reading.returning_user = !c.exec(kReturningUser, {exemption.phone_number}).empty();
  if (!needs_range_facts(limit, reading)) return reading;

  const TimePoint since = now - std::chrono::duration_cast<Milliseconds>(exemption.conversion_window);
  reading.range_sent = c.exec(kCountEvents, {exemption.range_bucket, ms(since)}).integer(0, 0);
  reading.range_verified = c.exec(kCountEvents, {exemption.range_verified_bucket, ms(since)}).integer(0, 0);
  reading.country_sent = c.exec(kTotalEvents, {exemption.country_bucket, totals_slot(since)}).integer(0, 0);
  reading.country_verified =
      c.exec(kTotalEvents, {exemption.country_verified_bucket, totals_slot(since)}).integer(0, 0);
  return reading;
}

// A `{1,2}` literal for `$n::bigint[]` or `$n::boolean[]`.
template <class T>
PgParam array_literal(const std::vector<T>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if constexpr (std::is_same_v<T, bool>) {
      out += items[i] ? "t" : "f";
    } else {
      out += std::to_string(items[i]);
    }
  }
  out += '}';
  return PgParam(out);
}

// Whether a limit's filling event is read with the others in one statement: every plain window, and the unverified
// budget when it is read from its per-minute totals (the same reading as a plain window's); a budget small enough to
// walk reads its rows of unverified_sms on its own.
bool read_in_batch(const WindowLimit& limit) {
  return !limit.unverified || read_from_totals(limit);
}

// The filling event of every limit read in batch (read_in_batch), in one statement, in the order of `limits`' batched
// entries; nullopt inside for a window with room.
std::vector<std::optional<TimePoint>> read_filling_events(PgConnection& c, const std::vector<WindowLimit>& limits,
                                                          TimePoint now) {
  std::vector<std::string> buckets;
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> sizes;
  std::vector<bool> from_totals;
  for (const auto& limit : limits) {
    if (!read_in_batch(limit)) continue;
    const TimePoint start = window_start(limit, now);
    buckets.push_back(limit.bucket);
    from_totals.push_back(read_from_totals(limit));
    starts.push_back(from_totals.back() ? totals_slot(start) : to_unix_ms(start));
    sizes.push_back(limit.limit);
  }
  std::vector<std::optional<TimePoint>> out(buckets.size());
  if (buckets.empty()) return out;
  const auto rows = c.exec(
      kFillingEvents, {text_array(buckets), array_literal(starts), array_literal(sizes), array_literal(from_totals)});
  for (int row = 0; row < rows.size(); ++row) {
    const auto index = static_cast<std::size_t>(rows.integer(row, 0) - 1);
    if (index < out.size() && !rows.is_null(row, 1)) out[index] = from_unix_ms(rows.integer(row, 1));
  }
  return out;
}

std::optional<LimitExceeded> check_limits(PgConnection& c, const std::vector<WindowLimit>& limits, TimePoint now) {
  const auto filling = read_filling_events(c, limits, now);
  std::size_t next_batched = 0;
  return first_refusal(limits, now, [&](const WindowLimit& limit) {
    if (limit.unverified) {
      // Spelled out: a bare std::optional(inner) would deduce the inner type, and an empty inner would then read as
      // "read in batch, room left" instead of "walk the rows".
      std::optional<std::optional<TimePoint>> batched;
      if (read_in_batch(limit)) batched.emplace(filling[next_batched++]);
      return read_unverified_budget(c, limit, now, batched);
    }
    WindowReading reading;
    reading.filling_event = filling[next_batched++];
    if (needs_conversion_counts(limit, reading)) {
      const TimePoint since = window_start(limit, now);
      reading.events = c.exec(kCountEvents, {limit.bucket, ms(since)}).integer(0, 0);
      reading.converted = c.exec(kCountEvents, {limit.conversion->converted_bucket, ms(since)}).integer(0, 0);
    }
    return reading;
  });
}

void count_buckets(PgConnection& c, const std::vector<std::string>& buckets, TimePoint now,
                   const std::string& reservation) {
  if (buckets.empty()) return;
  c.exec_deferred(kCountBuckets,
                  {text_array(buckets), ms(now), reservation.empty() ? PgParam() : PgParam(reservation)});
}

void count_limits(PgConnection& c, const std::vector<WindowLimit>& limits, TimePoint now,
                  const std::string& reservation) {
  count_buckets(c, counted_buckets(limits), now, reservation);
}

// Every send is unverified SMS until a verification of its code deletes the row (see verify_code); `new_code` false
// keeps the live code `challenge_id` names.
void write_issue(PgConnection& c, const IssueCodeRequest& request, const std::string& challenge_id, bool new_code) {
  std::vector<std::string> buckets = counted_buckets(request.limits);
  buckets.insert(buckets.end(), request.tallies.begin(), request.tallies.end());
  c.exec_deferred(kIssueWrites,
                  {request.phone_number, challenge_id, PgParam::bytes(request.new_seed),
                   PgParam::bytes(request.new_code_hash), ms(request.now), ms(request.new_expires_at),
                   request.max_attempts, request.reservation_id, text_array(buckets), kUnverifiedSmsBucket, new_code});
}

}  // namespace

PostgresRepository::PostgresRepository(PgSettings settings) : connection_(std::move(settings)) {}

PostgresRepository::~PostgresRepository() = default;

void PostgresRepository::connect() {
  std::lock_guard lock(mutex_);
  connection_.connect();
}

void PostgresRepository::migrate() {
  // An up-to-date schema (every start but the first of a version) is one read: no DDL, no lock, no waiting on other
  // instances starting together.
  if (schema_version() == expected_schema_version()) return;
  in_transaction([](PgConnection& c) {
    // DDL is transactional: all pending steps commit together, and instances starting together wait on the lock
    // instead of racing (the second finds everything applied). A transaction-level lock also works through a
    // transaction-mode pooler.
    c.exec_simple("SET LOCAL statement_timeout = 0");
    c.exec_simple(kMigrationLockSql);
    c.exec_simple("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT "
                  "NULL)");
    const auto applied = c.exec({"applied_migrations", "SELECT version FROM schema_migrations"});
    std::vector<int> versions;
    for (int row = 0; row < applied.size(); ++row) versions.push_back(static_cast<int>(applied.integer(row, 0)));
    for (const auto& migration : postgres_migrations()) {
      if (std::find(versions.begin(), versions.end(), migration.version) != versions.end()) continue;
      c.exec_simple(std::string(migration.sql));
      c.exec({"mark_migration", "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)"},
             {migration.version, ms(SystemTimeSource{}.now())});
    }
  });
}

int PostgresRepository::schema_version() {
  return in_transaction([](PgConnection& c) {
    if (!c.exec(kHasSchema).boolean(0, 0)) return 0;
    return static_cast<int>(c.exec(kSchemaVersion).integer(0, 0));
  });
}

int PostgresRepository::expected_schema_version() const {
  int highest = 0;
  for (const auto& migration : postgres_migrations()) highest = std::max(highest, migration.version);
  return highest;
}

void PostgresRepository::ping() {
  in_transaction([](PgConnection& c) { c.exec(kPing); });
}

result<IssuedCode, LimitExceeded> PostgresRepository::issue_code(const IssueCodeRequest& request) {
  return in_transaction([&](PgConnection& c) -> result<IssuedCode, LimitExceeded> {
    lock_buckets(c, request.limits);
    if (auto refused = check_limits(c, request.limits, request.now)) return *refused;

    if (request.reuse_if_remaining || request.reuse_uncertain_if_remaining) {
      const auto live = c.exec(kLiveCode, {request.phone_number, ms(request.now)});
      if (!live.empty()) {
        const std::int64_t expires_at_ms = live.integer(0, 2);
        const bool uncertain = live.boolean(0, 3);
        const auto has_left = [&](const std::optional<std::chrono::milliseconds>& least) {
          return least && expires_at_ms >= to_unix_ms(request.now) + least->count();
        };
        // A code whose SMS may still arrive is kept (with less life left) so that the SMS carries the working code.
        if (has_left(request.reuse_if_remaining) || (uncertain && has_left(request.reuse_uncertain_if_remaining))) {
          IssuedCode kept{live.text(0, 0), live.bytes(0, 1), from_unix_ms(expires_at_ms), true, uncertain};
          write_issue(c, request, kept.challenge_id, false);
          return kept;
        }
      }
    }

    IssuedCode fresh{request.reservation_id, request.new_seed, request.new_expires_at, false, false};
    write_issue(c, request, fresh.challenge_id, true);
    return fresh;
  });
}

void PostgresRepository::cancel_issue(const std::string& phone_number, const std::string& challenge_id,
                                      const std::string& reservation_id, bool remove_code,
                                      const std::vector<std::string>& keep_buckets) {
  in_transaction([&](PgConnection& c) {
    c.exec_deferred(kForgetReservation, {reservation_id, text_array(keep_buckets)});
    // Surely not sent: not unverified SMS spent, whatever limit buckets a gateway refusal keeps.
    c.exec_deferred(kForgetUnverified, {reservation_id, kUnverifiedSmsBucket});
    if (remove_code) c.exec_deferred(kRemoveCode, {phone_number, challenge_id});
  });
}

void PostgresRepository::mark_delivery_uncertain(const std::string& phone_number, const std::string& challenge_id,
                                                 bool uncertain) {
  in_transaction([&](PgConnection& c) {
    c.exec_deferred(kMarkDeliveryUncertain, {phone_number, challenge_id, uncertain});
  });
}

VerifyCodeResult PostgresRepository::verify_code(const VerifyCodeRequest& request) {
  return in_transaction([&](PgConnection& c) {
    const VerifyLimitChecks checks = verify_checked_limits(request);
    lock_buckets(c, checks.all());  // every bucket in one sorted call: two verifications never wait in a cycle
    VerifyLimitReadings readings;
    readings.in_order = check_limits(c, checks.in_order, request.now);
    if (checks.number_lock) readings.number_lock = check_limits(c, {*checks.number_lock}, request.now);
    if (checks.client_has_failed) {
      readings.client_is_new = !check_limits(c, {*checks.client_has_failed}, request.now).has_value();
    }
    const auto refusal = verify_refusal(readings);
    // The code row stays locked until commit: parallel verifications of one number run one after the other.
    std::optional<StoredCode> code;
    const auto row = c.exec(kLockCode, {request.phone_number});
    if (!row.empty()) {
      code = StoredCode{row.text(0, 0), row.bytes(0, 1), from_unix_ms(row.integer(0, 2)),
                        static_cast<int>(row.integer(0, 3)), static_cast<int>(row.integer(0, 4)), row.boolean(0, 5)};
    }
    const VerifyAttemptDecision attempt = decide_verify_attempt(refusal, code, request.now);
    if (!attempt.count_attempt_limits) return attempt.answer;  // refused by a limit: nothing written
    count_limits(c, request.attempt_limits, request.now, {});
    if (!attempt.compare) return attempt.answer;

    // Count first, compare second, in one conditional statement: a crash or a parallel request never gets a free try.
    const auto counted = c.exec(kTakeAttempt, {request.phone_number, code->challenge_id});
    if (counted.empty()) throw StorageUnavailable("PostgreSQL: the locked code row changed under its lock");
    code->attempts = static_cast<int>(counted.integer(0, 0));

    const CodeComparison comparison = decide_comparison(*code, request.submitted_code_hash);
    if (!comparison.matched) {
      if (comparison.count_failure) count_limits(c, verify_failure_limits(request), request.now, request.failure_tag);
      return comparison.answer;
    }
    if (c.exec(kConsumeCode, {request.phone_number, code->challenge_id, ms(request.now)}).empty()) {
      throw StorageUnavailable("PostgreSQL: the locked code row was consumed under its lock");
    }
    // Every SMS that carried this code converted (a blocked user's too: the SMS reached a real person). That updates
    // the budget's per-minute total, and a login counts the country's and range's tallies: rows every send and verify
    // of every instance shares, whose locks are held until the commit. So they are written last, and held for two
    // statements and the commit rather than for the whole login.
    const auto mark_converted = [&] {
      c.exec_deferred(kCodeConverted, {request.phone_number, code->challenge_id, kUnverifiedSmsBucket});
    };

    std::optional<UserRecord> existing;
    const auto user = c.exec(kLockUserByPhone, {request.phone_number});
    if (!user.empty()) existing = read_user(user, 0);
    const LoginDecision login = decide_login(existing);
    VerifyCodeResult out;
    out.status = login.status;
    if (login.create_user) {
      out.user = UserRecord{request.session.new_user_id, request.phone_number, request.now, std::nullopt, false};
      out.user_created = true;
      c.exec_deferred(kInsertUser, {out.user.id, out.user.phone_number, ms(request.now)});
    } else {
      out.user = *existing;
    }
    if (!login.open_session) {  // blocked: the code stays consumed
      mark_converted();
      return out;
    }

    c.exec_deferred(kRecordLogin, {out.user.id, ms(request.now)});
    out.user.last_login_at = request.now;
    c.exec_deferred(kInsertSession,
                    {request.session.session_id, out.user.id, ms(request.now), ms(request.session.session_expires_at)});
    c.exec_deferred(kInsertToken, {PgParam::bytes(request.session.refresh_token_hash), request.session.session_id,
                                   ms(request.now), ms(request.session.refresh_expires_at)});
    for (const WindowLimit& failures : verify_failure_limits(request)) {
      c.exec_deferred(kForgetBucket,
                      {failures.bucket, request.failure_tag.empty() ? PgParam() : PgParam(request.failure_tag)});
    }
    mark_converted();
    count_buckets(c, request.success_tallies, request.now, {});
    return out;
  });
}

std::optional<UserRecord> PostgresRepository::find_user_by_id(const std::string& user_id) {
  return in_transaction([&](PgConnection& c) -> std::optional<UserRecord> {
    const auto rows = c.exec(kUserById, {user_id});
    if (rows.empty()) return std::nullopt;
    return read_user(rows, 0);
  });
}

std::optional<UserRecord> PostgresRepository::find_user_by_phone(const std::string& phone_number) {
  return in_transaction([&](PgConnection& c) -> std::optional<UserRecord> {
    const auto rows = c.exec(kUserByPhone, {phone_number});
    if (rows.empty()) return std::nullopt;
    return read_user(rows, 0);
  });
}

std::size_t PostgresRepository::prune(TimePoint now, std::chrono::seconds longest_window) {
  return in_transaction([&](PgConnection& c) {
    const std::int64_t before = to_unix_ms(now) - std::chrono::duration_cast<Milliseconds>(longest_window).count();
    auto removed = static_cast<std::size_t>(c.exec(kPruneEvents, {before}).affected());
    c.exec(kPruneTotals, {before});
    removed += static_cast<std::size_t>(c.exec(kPruneUnverified, {before}).affected());
    // Expired codes are kept a day so that a late verify still reads "expired" rather than "no code".
    removed += static_cast<std::size_t>(c.exec(kPruneCodes, {to_unix_ms(now) - std::int64_t{86400} * 1000}).affected());
    return removed;
  });
}

std::map<std::string, std::int64_t, std::less<>> PostgresRepository::count_events_by_bucket(
    std::string_view bucket_prefix, TimePoint since) {
  std::string upper(bucket_prefix);
  if (upper.empty() || static_cast<unsigned char>(upper.back()) >= 0x7f) {
    throw std::invalid_argument("count_events_by_bucket: the prefix must be non-empty and end in ASCII");
  }
  upper.back() = static_cast<char>(upper.back() + 1);
  return in_transaction([&](PgConnection& c) {
    std::map<std::string, std::int64_t, std::less<>> counts;
    const auto rows = c.exec(kEventsByPrefix, {bucket_prefix, upper, ms(since)});
    for (int row = 0; row < rows.size(); ++row) counts.emplace(rows.text(row, 0), rows.integer(row, 1));
    return counts;
  });
}

}  // namespace sms_auth
