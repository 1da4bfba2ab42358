// PostgreSQL implementation of the repository: each public call is one READ COMMITTED transaction. Limits are held
// across instances by an advisory lock per checked bucket (taken in one fixed order; shared far from a large limit,
// exclusive near it), codes by the row lock the verify takes when it reads the code (FOR UPDATE) and one conditional
// UPDATE … RETURNING that counts the attempt (and consumes a right code) in the same transaction.
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

// Each bucket's lock in the order of its key, in shared mode when every limit read on that key may be read so
// (kFillingEvents applies the same test, so a window read with its full limit is always read under an exclusive
// lock): $1 the limits' buckets, $2 whether each may share its lock (may_share_lock), $3 each one's limit.
constexpr PgStatement kLockBuckets{
    "lock_buckets",
    "SELECT CASE WHEN shared THEN pg_advisory_xact_lock_shared(7302, k)::text "
    "ELSE pg_advisory_xact_lock(7302, k)::text END "
    "FROM (SELECT hashtext(b) AS k, bool_and(s AND n >= 2 * current_setting('max_connections')::int) AS shared "
    "FROM unnest($1::text[], $2::boolean[], $3::bigint[]) AS t(b, s, n) GROUP BY 1 ORDER BY 1) AS sorted"};
// Every plain window of one call in one round trip (they are read under the buckets' locks, so each round trip saved
// there is saved for every send that waits on them): per window ($1 bucket, $2 its start,
// $3 its limit, $4 whether it is read from the per-minute totals, $5 whether it may share its lock), when full, the
// instant that reopens it: the m-th most recent event, or the end of the minute slot in which the totals reach m,
// and whether m is short of the limit. m is the limit, except for a window whose lock kLockBuckets may take in shared
// mode: there m = limit - max_connections, so that a window found short of m has room for every transaction that can
// be counting it at once (see issue_code). A window read from its totals is summed first, and walked minute by minute
// only when full: a day window with room (the global caps, nearly always) is one sum of up to 1,440 rows instead of
// a sort and a running sum over them (2.2 -> 1.2 ms on a day of totals, docs/performance.md, "How cost grows").
constexpr PgStatement kFillingEvents{
    "filling_events",
    "SELECT t.i, CASE WHEN t.totals THEN CASE WHEN (SELECT COALESCE(SUM(events), 0) FROM rate_totals WHERE bucket = "
    "t.b AND slot >= t.s) < t.m THEN NULL ELSE "
    "(SELECT (x.slot + 1) * 60000 FROM (SELECT slot, SUM(SUM(events)) OVER (ORDER BY slot DESC) AS seen "
    "FROM rate_totals WHERE bucket = t.b AND slot >= t.s GROUP BY slot) AS x WHERE x.seen >= t.m "
    "ORDER BY x.slot DESC LIMIT 1) END "
    "ELSE (SELECT at_ms FROM rate_events WHERE bucket = t.b AND at_ms > t.s ORDER BY at_ms DESC LIMIT 1 "
    "OFFSET t.m - 1) END, t.m < t.n "
    "FROM (SELECT u.*, CASE WHEN u.sh AND u.n >= 2 * current_setting('max_connections')::int "
    "THEN u.n - current_setting('max_connections')::int ELSE u.n END AS m "
    "FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::boolean[], $5::boolean[]) WITH ORDINALITY "
    "AS u(b, s, n, totals, sh, i)) AS t"};
constexpr PgStatement kCountEvents{"count_events",
                                   "SELECT COUNT(*) FROM rate_events WHERE bucket = $1 AND at_ms > $2"};
// Per-minute totals are written to the writing connection's shard, `(pg_backend_pid() % 8)::smallint` in every
// statement below that adds to or takes from them (migration 13): transactions on other connections counting the same
// bucket's minute then upsert other rows and do not wait on each other's row lock until commit.
// Events and their per-minute totals in one statement (the totals by upsert, in bucket order).
constexpr PgStatement kCountBuckets{
    "count_buckets",
    "WITH added AS (INSERT INTO rate_events (bucket, at_ms, reservation) SELECT b, $2, $3 FROM unnest($1::text[]) AS "
    "b) INSERT INTO rate_totals (bucket, slot, shard, events) SELECT b, $2 / 60000, (pg_backend_pid() % "
    "8)::smallint, COUNT(*) FROM unnest($1::text[]) AS b GROUP BY b ORDER BY b ON CONFLICT (bucket, slot, shard) DO "
    "UPDATE SET events = rate_totals.events + EXCLUDED.events"};
constexpr PgStatement kForgetReservation{
    "forget_reservation",
    "WITH gone AS (DELETE FROM rate_events WHERE reservation = $1 AND NOT (bucket = ANY($2::text[])) RETURNING "
    "bucket, at_ms), per_slot AS (SELECT bucket, at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1, 2) "
    "INSERT INTO rate_totals (bucket, slot, shard, events) SELECT bucket, slot, (pg_backend_pid() % 8)::smallint, -n "
    "FROM per_slot ORDER BY 1, 2 ON CONFLICT (bucket, slot, shard) DO UPDATE SET events = rate_totals.events + "
    "EXCLUDED.events"};
// A decrement is a negative part in this connection's own shard (an upsert), not an update of the shard that counted
// the events: the other shards' rows stay unlocked. $2 NULL: every event of the bucket. One bucket per statement: a
// version for both of a success's buckets (`bucket = ANY($1::text[])`) averaged 1.2 ms a call in a load run against
// this one's 0.004 ms, although its plan scans the same (bucket, at_ms) index (docs/performance.md, H).
constexpr PgStatement kForgetBucket{
    "forget_bucket",
    "WITH gone AS (DELETE FROM rate_events WHERE bucket = $1 AND ($2::text IS NULL OR reservation = $2) RETURNING "
    "bucket, at_ms), per_slot AS (SELECT bucket, at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1, 2) "
    "INSERT INTO rate_totals (bucket, slot, shard, events) SELECT bucket, slot, (pg_backend_pid() % 8)::smallint, -n "
    "FROM per_slot ORDER BY 1, 2 ON CONFLICT (bucket, slot, shard) DO UPDATE SET events = rate_totals.events + "
    "EXCLUDED.events"};

constexpr PgStatement kTotalEvents{
    "total_events", "SELECT COALESCE(SUM(events), 0)::bigint FROM rate_totals WHERE bucket = $1 AND slot >= $2"};
constexpr PgStatement kNthUnverified{
    "nth_unverified",
    "SELECT sent_at_ms FROM unverified_sms WHERE sent_at_ms > $1 ORDER BY sent_at_ms DESC LIMIT 1 OFFSET $2"};
constexpr PgStatement kReturningUser{"returning_user",
                                     "SELECT 1 FROM users WHERE phone_number = $1 AND blocked_at IS NULL"};
constexpr PgStatement kForgetUnverified{
    "forget_unverified",
    "WITH gone AS (DELETE FROM unverified_sms WHERE reservation = $1 RETURNING sent_at_ms), per_slot AS (SELECT "
    "sent_at_ms / 60000 AS slot, COUNT(*) AS n FROM gone GROUP BY 1) INSERT INTO rate_totals (bucket, slot, shard, "
    "events) SELECT $2, slot, (pg_backend_pid() % 8)::smallint, -n FROM per_slot ORDER BY 1, 2 ON CONFLICT (bucket, "
    "slot, shard) DO UPDATE SET events = rate_totals.events + EXCLUDED.events"};
// A verified code's SMS converted, and the login's success tallies counted, in one statement: its unverified_sms rows
// go and the budget's per-minute total goes down by as many; the tallies' events and totals go up. $1 phone, $2
// challenge id, $3 the unverified-SMS bucket, $4 now, $5 the tallies (none for a blocked user).
constexpr PgStatement kCodeConverted{
    "code_converted",
    "WITH gone AS (DELETE FROM unverified_sms WHERE phone_number = $1 AND challenge_id = $2 RETURNING sent_at_ms), "
    "added AS (INSERT INTO rate_events (bucket, at_ms, reservation) SELECT b, $4, NULL FROM unnest($5::text[]) AS b), "
    "counted AS (SELECT $3::text AS b, sent_at_ms / 60000 AS slot, -1 AS n FROM gone UNION ALL SELECT b, $4::bigint / "
    "60000, 1 FROM unnest($5::text[]) AS b) INSERT INTO rate_totals (bucket, slot, shard, events) SELECT b, slot, "
    "(pg_backend_pid() % 8)::smallint, SUM(n) FROM counted GROUP BY b, slot ORDER BY b, slot ON CONFLICT (bucket, "
    "slot, shard) DO UPDATE SET events = rate_totals.events + EXCLUDED.events"};
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
    "attempts, max_attempts, consumed_at) SELECT $1, $2, $3, $4, $5, $6, 0, $7, NULL WHERE $11::boolean ON CONFLICT "
    "(phone_number) DO UPDATE SET challenge_id = EXCLUDED.challenge_id, seed = EXCLUDED.seed, code_hash = "
    "EXCLUDED.code_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, attempts = 0, "
    "max_attempts = EXCLUDED.max_attempts, consumed_at = NULL, delivery_uncertain = false), events AS (INSERT INTO "
    "rate_events (bucket, at_ms, reservation) SELECT b, $5, $8 FROM unnest($9::text[]) AS b), unverified AS (INSERT "
    "INTO unverified_sms (reservation, phone_number, challenge_id, sent_at_ms) VALUES ($8, $1, $2, $5) ON CONFLICT "
    "(reservation) DO NOTHING RETURNING sent_at_ms), counted AS (SELECT b, $5::bigint / 60000 AS slot FROM "
    "unnest($9::text[]) AS b UNION ALL SELECT $10::text, sent_at_ms / 60000 FROM unverified) INSERT INTO rate_totals "
    "(bucket, slot, shard, events) SELECT b, slot, (pg_backend_pid() % 8)::smallint, COUNT(*) FROM counted GROUP BY "
    "b, slot ORDER BY b, slot ON CONFLICT (bucket, slot, shard) DO UPDATE SET events = rate_totals.events + "
    "EXCLUDED.events"};
constexpr PgStatement kRemoveCode{"remove_code",
                                  "DELETE FROM otp_codes WHERE phone_number = $1 AND challenge_id = $2"};
// Counts the attempt on a live code and locks its row, in one statement: the compare comes after it.
constexpr PgStatement kLockCode{
    "lock_code",
    "SELECT challenge_id, code_hash, expires_at, attempts, max_attempts, consumed_at IS NOT NULL FROM otp_codes "
    "WHERE phone_number = $1 FOR UPDATE"};
// Counts the attempt on the live code (the row is locked) and, for a right code ($3), consumes it ($4 the instant):
// one row version, not two. Returns the attempts counted.
constexpr PgStatement kTakeAttempt{
    "take_attempt",
    "UPDATE otp_codes SET attempts = attempts + 1, consumed_at = CASE WHEN $3::boolean THEN $4::bigint ELSE "
    "consumed_at END WHERE phone_number = $1 AND challenge_id = $2 AND consumed_at IS NULL AND attempts < "
    "max_attempts RETURNING attempts"};
constexpr PgStatement kLockUserByPhone{"lock_user_by_phone",
                                       "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users "
                                       "WHERE phone_number = $1 FOR UPDATE"};
constexpr PgStatement kInsertUser{"insert_user",
                                  "INSERT INTO users (id, phone_number, created_at) VALUES ($1, $2, $3)"};
// A login in one statement: the user's last login, the session and its first refresh token ($1 session id, $2 user,
// $3 now, $4 the session's end, $5 the token's hash, $6 its end). Foreign keys are checked at the end of the
// statement, when every row of it is there.
constexpr PgStatement kOpenSession{
    "open_session",
    "WITH login AS (UPDATE users SET last_login_at = $3 WHERE id = $2), session AS (INSERT INTO sessions (id, "
    "user_id, created_at, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $3)) INSERT INTO refresh_tokens "
    "(token_hash, session_id, issued_at, expires_at) VALUES ($5, $1, $3, $6)"};
// The same for a user this login creates ($7 its number), written with its first login.
constexpr PgStatement kOpenSessionOfNewUser{
    "open_session_of_new_user",
    "WITH created AS (INSERT INTO users (id, phone_number, created_at, last_login_at) VALUES ($2, $7, $3, $3)), "
    "session AS (INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at) VALUES ($1, $2, $3, $4, "
    "$3)) INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES ($5, $1, $3, $6)"};
constexpr PgStatement kUserById{"user_by_id",
                                "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users "
                                "WHERE id = $1"};
constexpr PgStatement kUserByPhone{"user_by_phone",
                                   "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users "
                                   "WHERE phone_number = $1"};
constexpr PgStatement kPruneEvents{"prune_events", "DELETE FROM rate_events WHERE at_ms <= $1"};
constexpr PgStatement kPruneTotals{"prune_totals", "DELETE FROM rate_totals WHERE (slot + 1) * 60000 <= $1"};
// The shards of minutes before $1 summed into shard 0, in one statement (a reader sees the minute before or after,
// never half of it): a window reads one row per past minute again, whatever number of connections counted it.
constexpr PgStatement kFoldTotals{
    "fold_totals",
    "WITH moved AS (DELETE FROM rate_totals WHERE shard <> 0 AND slot < $1 RETURNING bucket, slot, events) "
    "INSERT INTO rate_totals (bucket, slot, shard, events) SELECT bucket, slot, 0, SUM(events) FROM moved "
    "GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT (bucket, slot, shard) DO UPDATE SET events = rate_totals.events + "
    "EXCLUDED.events"};
constexpr PgStatement kPruneCodes{"prune_codes", "DELETE FROM otp_codes WHERE expires_at <= $1"};
constexpr PgStatement kEventsByPrefix{
    "events_by_prefix",
    "SELECT bucket, COUNT(*) FROM rate_events WHERE bucket >= $1 AND bucket < $2 AND at_ms > $3 GROUP BY bucket"};
// Two statements, not one CASE: the server resolves every table a statement names before running any of it, so a
// statement that reads schema_migrations fails on a database that has none yet, whatever branch it would take.
constexpr PgStatement kHasSchema{"has_schema", "SELECT to_regclass('schema_migrations') IS NOT NULL"};
constexpr PgStatement kSchemaVersion{"schema_version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
constexpr PgStatement kPing{"ping", "SELECT 1"};

template <class T>
PgParam array_literal(const std::vector<T>& items);

// Whether a window's bucket lock may be taken in shared mode: a window read with the others in one statement and
// decided on its count alone (no conversion rule; the unverified-SMS budget only when read from its totals, whose
// exemption facts are read only when it is spent, which is near its limit and so under an exclusive lock).
bool may_share_lock(const WindowLimit& limit) {
  return !limit.conversion && (!limit.unverified || read_from_totals(limit));
}

// LockModes: shared_where_far_from_limits locks a bucket in shared mode when its every window may_share_lock with a
// limit of at least twice the server's max_connections, so that sends far from a global cap do not queue on its lock;
// exclusive locks every bucket exclusively, as the call that found a window near its limit runs again.

void lock_buckets(PgConnection& c, const std::vector<WindowLimit>& limits, LockModes modes) {
  if (limits.empty()) return;
  std::vector<std::string> buckets;
  std::vector<bool> shareable;
  std::vector<std::int64_t> sizes;
  for (const auto& limit : limits) {
    buckets.push_back(limit.bucket);
    shareable.push_back(modes == LockModes::shared_where_far_from_limits && may_share_lock(limit));
    sizes.push_back(limit.limit);
  }
  // Goes out with the first read.
  c.exec_deferred(kLockBuckets, {text_array(buckets), array_literal(shareable), array_literal(sizes)});
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

// What kFillingEvents read of one window: its filling event (nullopt: room), and whether it was read against a
// threshold short of the limit, as a window whose lock may be shared is.
struct FillingRead {
  std::optional<TimePoint> filling_event;
  bool short_of_limit = false;
};

// The statement that reads the filling event of every limit read in batch (read_in_batch), in the order of `limits`'
// batched entries; nullopt when none is. It is sent with the reads beside it (exec_together), and its rows are read
// back by filling_events_of.
std::optional<PgQuery> filling_events_query(const std::vector<WindowLimit>& limits, TimePoint now, LockModes modes) {
  std::vector<std::string> buckets;
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> sizes;
  std::vector<bool> from_totals;
  std::vector<bool> shareable;
  for (const auto& limit : limits) {
    if (!read_in_batch(limit)) continue;
    const TimePoint start = window_start(limit, now);
    buckets.push_back(limit.bucket);
    from_totals.push_back(read_from_totals(limit));
    starts.push_back(from_totals.back() ? totals_slot(start) : to_unix_ms(start));
    sizes.push_back(limit.limit);
    shareable.push_back(modes == LockModes::shared_where_far_from_limits && may_share_lock(limit));
  }
  if (buckets.empty()) return std::nullopt;
  return PgQuery{kFillingEvents,
                 {text_array(buckets), array_literal(starts), array_literal(sizes), array_literal(from_totals),
                  array_literal(shareable)}};
}

std::size_t batched_count(const std::vector<WindowLimit>& limits) {
  return static_cast<std::size_t>(std::count_if(limits.begin(), limits.end(), read_in_batch));
}

// kFillingEvents' rows for `count` batched limits (`rows` nullptr: none was read).
std::vector<FillingRead> filling_events_of(const PgRows* rows, std::size_t count) {
  std::vector<FillingRead> out(count);
  if (!rows) return out;
  for (int row = 0; row < rows->size(); ++row) {
    const auto index = static_cast<std::size_t>(rows->integer(row, 0) - 1);
    if (index >= out.size()) continue;
    if (!rows->is_null(row, 1)) out[index].filling_event = from_unix_ms(rows->integer(row, 1));
    out[index].short_of_limit = rows->boolean(row, 2);
  }
  return out;
}

// The first refusal of `limits`, decided on `filling` (their batched entries' filling events, read under the locks
// lock_buckets took with the same `modes`) and on what the windows that need more read here. Sets `near_limit` (and
// stops reading) when a window read short of its limit is full at that threshold: its lock may be shared, so the
// verdict is left to a run of the call with exclusive locks.
std::optional<LimitExceeded> first_refusal_read(PgConnection& c, const std::vector<WindowLimit>& limits, TimePoint now,
                                                const std::vector<FillingRead>& filling, bool& near_limit) {
  std::size_t next_batched = 0;
  return first_refusal(limits, now, [&](const WindowLimit& limit) {
    if (near_limit) return WindowReading{};
    if (read_in_batch(limit) && filling[next_batched].short_of_limit && filling[next_batched].filling_event) {
      near_limit = true;
      return WindowReading{};
    }
    if (limit.unverified) {
      // Spelled out: a bare std::optional(inner) would deduce the inner type, and an empty inner would then read as
      // "read in batch, room left" instead of "walk the rows".
      std::optional<std::optional<TimePoint>> batched;
      if (read_in_batch(limit)) batched.emplace(filling[next_batched++].filling_event);
      return read_unverified_budget(c, limit, now, batched);
    }
    WindowReading reading;
    reading.filling_event = filling[next_batched++].filling_event;
    if (needs_conversion_counts(limit, reading)) {
      const TimePoint since = window_start(limit, now);
      reading.events = c.exec(kCountEvents, {limit.bucket, ms(since)}).integer(0, 0);
      reading.converted = c.exec(kCountEvents, {limit.conversion->converted_bucket, ms(since)}).integer(0, 0);
    }
    return reading;
  });
}

// The filling events of `limits` in one statement sent with `beside` (reads that do not depend on them), in one round
// trip: returns the filling events and the rows of `beside`, in order.
std::pair<std::vector<FillingRead>, std::vector<PgRows>> read_windows_with(PgConnection& c,
                                                                           const std::vector<WindowLimit>& limits,
                                                                           TimePoint now, LockModes modes,
                                                                           std::vector<PgQuery> beside) {
  const auto filling_query = filling_events_query(limits, now, modes);
  if (filling_query) beside.insert(beside.begin(), *filling_query);
  std::vector<PgRows> rows;
  if (!beside.empty()) rows = c.exec_together(beside);
  std::vector<FillingRead> filling = filling_events_of(filling_query ? &rows.front() : nullptr, batched_count(limits));
  if (filling_query) rows.erase(rows.begin());
  return {std::move(filling), std::move(rows)};
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

// A send far from its global limits shares their locks with the other sends: it is counted exactly all the same,
// because a window read in shared mode passes only while it holds fewer than limit - max_connections events, and the
// events it cannot see are those of transactions still running, one at most per server connection. So whoever reads
// last among the sends one window counts has seen all but at most max_connections - 1 of them, and the total stays
// under the limit. Near the limit, the send runs again with every lock exclusive, which waits for the shared holders
// and keeps new ones out: there the count read is the count.
result<IssuedCode, LimitExceeded> PostgresRepository::issue_code(const IssueCodeRequest& request) {
  auto out = issue_code_under(request, LockModes::shared_where_far_from_limits);
  if (!out) out = issue_code_under(request, LockModes::exclusive);
  if (!out) throw StorageUnavailable("PostgreSQL: a send under exclusive locks found no verdict");
  return std::move(*out);
}

// nullopt: a window whose lock was shared is near its limit; nothing was written, and the locks are released.
std::optional<result<IssuedCode, LimitExceeded>> PostgresRepository::issue_code_under(const IssueCodeRequest& request,
                                                                                      LockModes modes) {
  return in_transaction([&](PgConnection& c) -> std::optional<result<IssuedCode, LimitExceeded>> {
    lock_buckets(c, request.limits, modes);
    // The live code (locked, as the send may keep it) is read with the windows, in the round trip of the locks: after
    // them, as before any decision. A refused send then just releases its row lock at the end of its transaction.
    const bool may_reuse = request.reuse_if_remaining || request.reuse_uncertain_if_remaining;
    std::vector<PgQuery> beside;
    if (may_reuse) beside.push_back({kLiveCode, {request.phone_number, ms(request.now)}});
    auto [filling, rows] = read_windows_with(c, request.limits, request.now, modes, std::move(beside));
    bool near_limit = false;
    auto refused = first_refusal_read(c, request.limits, request.now, filling, near_limit);
    if (near_limit) {
      c.discard();
      return std::nullopt;
    }
    if (refused) return result<IssuedCode, LimitExceeded>(*refused);

    if (may_reuse && !rows.front().empty()) {
      const PgRows& live = rows.front();
      const std::int64_t expires_at_ms = live.integer(0, 2);
      const bool uncertain = live.boolean(0, 3);
      const auto has_left = [&](const std::optional<std::chrono::milliseconds>& least) {
        return least && expires_at_ms >= to_unix_ms(request.now) + least->count();
      };
      // A code whose SMS may still arrive is kept (with less life left) so that the SMS carries the working code.
      if (has_left(request.reuse_if_remaining) || (uncertain && has_left(request.reuse_uncertain_if_remaining))) {
        IssuedCode kept{live.text(0, 0), live.bytes(0, 1), from_unix_ms(expires_at_ms), true, uncertain};
        write_issue(c, request, kept.challenge_id, false);
        return result<IssuedCode, LimitExceeded>(std::move(kept));
      }
    }

    IssuedCode fresh{request.reservation_id, request.new_seed, request.new_expires_at, false, false};
    write_issue(c, request, fresh.challenge_id, true);
    return result<IssuedCode, LimitExceeded>(std::move(fresh));
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
    // Every bucket in one sorted call: two verifications never wait in a cycle. Exclusive: a verification's windows
    // are the number's and the client's, which are small and seldom shared.
    lock_buckets(c, checks.all(), LockModes::exclusive);
    // Every window of the three checks in one statement, and the code row beside it: one round trip after the locks.
    // The code row stays locked until commit: parallel verifications of one number run one after the other.
    std::vector<WindowLimit> windows = checks.in_order;
    if (checks.number_lock) windows.push_back(*checks.number_lock);
    if (checks.client_has_failed) windows.push_back(*checks.client_has_failed);
    auto [filling, rows] =
        read_windows_with(c, windows, request.now, LockModes::exclusive, {{kLockCode, {request.phone_number}}});
    // Each check's share of the filling events, in the order of `windows`.
    std::size_t taken = 0;
    const auto decide = [&, &filling = filling](const std::vector<WindowLimit>& limits) {
      const std::size_t count = batched_count(limits);
      const std::vector<FillingRead> own(filling.begin() + static_cast<std::ptrdiff_t>(taken),
                                         filling.begin() + static_cast<std::ptrdiff_t>(taken + count));
      taken += count;
      bool near_limit = false;  // never set: every lock is exclusive
      return first_refusal_read(c, limits, request.now, own, near_limit);
    };
    VerifyLimitReadings readings;
    readings.in_order = decide(checks.in_order);
    if (checks.number_lock) readings.number_lock = decide({*checks.number_lock});
    if (checks.client_has_failed) readings.client_is_new = !decide({*checks.client_has_failed}).has_value();
    const auto refusal = verify_refusal(readings);
    std::optional<StoredCode> code;
    const PgRows& row = rows.front();
    if (!row.empty()) {
      code = StoredCode{row.text(0, 0), row.bytes(0, 1), from_unix_ms(row.integer(0, 2)),
                        static_cast<int>(row.integer(0, 3)), static_cast<int>(row.integer(0, 4)), row.boolean(0, 5)};
    }
    const VerifyAttemptDecision attempt = decide_verify_attempt(refusal, code, request.now);
    if (!attempt.count_attempt_limits) return attempt.answer;  // refused by a limit: nothing written
    count_limits(c, request.attempt_limits, request.now, {});
    if (!attempt.compare) return attempt.answer;

    // Count first, compare second, in one transaction: a crash or a parallel request never gets a free try. The row
    // is locked, so the attempt statement counts exactly one more than was read: the comparison is decided on that
    // count before the statement answers, and the statement's answer is checked against it. The count (which consumes
    // a right code in the same row version) and, for a right code, the user's row lock go out in one round trip.
    ++code->attempts;
    const CodeComparison comparison = decide_comparison(*code, request.submitted_code_hash);
    std::vector<PgQuery> writes{
        {kTakeAttempt, {request.phone_number, code->challenge_id, comparison.matched, ms(request.now)}}};
    if (comparison.matched) writes.push_back({kLockUserByPhone, {request.phone_number}});
    const auto answers = c.exec_together(writes);
    if (answers[0].empty() || answers[0].integer(0, 0) != code->attempts) {
      throw StorageUnavailable("PostgreSQL: the locked code row changed under its lock");
    }
    if (!comparison.matched) {
      if (comparison.count_failure) count_limits(c, verify_failure_limits(request), request.now, request.failure_tag);
      return comparison.answer;
    }
    // Every SMS that carried this code converted (a blocked user's too: the SMS reached a real person). That updates
    // the budget's per-minute total, and a login counts the country's and range's tallies: rows every send and verify
    // of every instance shares, whose locks are held until the commit. So they are written last, in one statement,
    // and held for it and the commit rather than for the whole login.
    const auto mark_converted = [&](const std::vector<std::string>& tallies) {
      c.exec_deferred(kCodeConverted, {request.phone_number, code->challenge_id, kUnverifiedSmsBucket, ms(request.now),
                                       text_array(tallies)});
    };

    std::optional<UserRecord> existing;
    if (!answers[1].empty()) existing = read_user(answers[1], 0);
    const LoginDecision login = decide_login(existing);
    VerifyCodeResult out;
    out.status = login.status;
    if (login.create_user) {
      out.user = UserRecord{request.session.new_user_id, request.phone_number, request.now, std::nullopt, false};
      out.user_created = true;
      // A new user who opens a session is written with it, below.
      if (!login.open_session) c.exec_deferred(kInsertUser, {out.user.id, out.user.phone_number, ms(request.now)});
    } else {
      out.user = *existing;
    }
    if (!login.open_session) {  // blocked: the code stays consumed
      mark_converted({});
      return out;
    }

    out.user.last_login_at = request.now;
    std::vector<PgParam> session{request.session.session_id,
                                 out.user.id,
                                 ms(request.now),
                                 ms(request.session.session_expires_at),
                                 PgParam::bytes(request.session.refresh_token_hash),
                                 ms(request.session.refresh_expires_at)};
    if (out.user_created) {
      session.emplace_back(out.user.phone_number);
      c.exec_deferred(kOpenSessionOfNewUser, std::move(session));
    } else {
      c.exec_deferred(kOpenSession, std::move(session));
    }
    for (const WindowLimit& failures : verify_failure_limits(request)) {
      c.exec_deferred(kForgetBucket,
                      {failures.bucket, request.failure_tag.empty() ? PgParam() : PgParam(request.failure_tag)});
    }
    mark_converted(request.success_tallies);
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
    c.exec(kFoldTotals, {totals_slot(now)});
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
