// One libpq connection to PostgreSQL: lazy (re)connection, prepared statements, statements sent together in one round
// trip (pipeline mode), transactions retried on serialization failures and deadlocks. Internal to storage/postgres.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/crypto.hpp"

struct pg_conn;
struct pg_result;

namespace sms_auth {

// How PostgreSQL connections are made: the URL and what every connection sets.
struct PgSettings {
  std::string url;  // a libpq connection URI (postgresql:// or postgres://), multi-host lists included
  // Named prepared statements (PQprepare once per connection). False: every statement goes out with PQexecParams
  // (unnamed, parsed each time), for poolers that cannot keep named statements (PgBouncer < 1.21 in transaction mode).
  bool prepared_statements = true;
  // Server-side bound of each statement (lock waits included), set per transaction (like SET LOCAL) so that it also
  // holds through a transaction-mode pooler.
  std::chrono::milliseconds statement_timeout{5000};
  int connect_timeout_seconds = 5;  // per host of the URL
};

// The URL with its password (user:password@ or password=) replaced by ***: what logs and error lines may show.
std::string redact_database_url(std::string_view url);

// One SQL statement of the repository: a stable name (its prepared-statement name) and its text.
struct PgStatement {
  const char* name;
  const char* sql;
};

// A parameter: text, or binary bytes (bytea); nullopt is NULL.
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;

  PgParam() = default;
  PgParam(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)
  PgParam(std::string text) : value(std::move(text)) {}  // NOLINT(google-explicit-constructor)
  PgParam(const char* text) : value(std::string(text)) {}  // NOLINT(google-explicit-constructor)
  PgParam(std::string_view text) : value(std::string(text)) {}  // NOLINT(google-explicit-constructor)
  PgParam(std::int64_t number) : value(std::to_string(number)) {}  // NOLINT(google-explicit-constructor)
  PgParam(int number) : value(std::to_string(number)) {}  // NOLINT(google-explicit-constructor)
  PgParam(bool flag) : value(flag ? "true" : "false") {}  // NOLINT(google-explicit-constructor)
  static PgParam bytes(const Bytes& data) {
    PgParam param;
    param.value = std::string(data.begin(), data.end());
    param.binary = true;
    return param;
  }
  template <class T>
  static PgParam optional(const std::optional<T>& value) {
    return value ? PgParam(*value) : PgParam(std::nullopt);
  }
};

// A statement with its parameters, for exec_together().
struct PgQuery {
  PgStatement statement;
  std::vector<PgParam> params;
};

// The rows of one statement (text format).
class PgRows {
 public:
  explicit PgRows(pg_result* result);
  PgRows(PgRows&& other) noexcept;
  PgRows& operator=(PgRows&& other) noexcept;
  PgRows(const PgRows&) = delete;
  PgRows& operator=(const PgRows&) = delete;
  ~PgRows();

  int size() const;
  bool empty() const { return size() == 0; }
  int affected() const;  // rows changed by INSERT/UPDATE/DELETE
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool boolean(int row, int column) const;
  Bytes bytes(int row, int column) const;  // a bytea column
  std::optional<std::int64_t> optional_integer(int row, int column) const;

 private:
  pg_result* result_;
};

// A statement failed with this SQLSTATE; broken connections are reported as StorageUnavailable instead.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
};

class PgConnection {
 public:
  explicit PgConnection(PgSettings settings);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Connects now (if not connected). Throws StorageUnavailable naming the redacted URL.
  void connect();

  // Runs `work(*this)` in one transaction (READ COMMITTED) and commits it, unless `work` called discard(). A
  // serialization failure or deadlock rolls back and runs `work` again (a few times, after a short random pause); a
  // connection found dead when the transaction begins is replaced once (a restarted or failed-over server). Other
  // failures throw StorageUnavailable, after which the next call reconnects.
  template <class Work>
  auto transaction(Work&& work) {
    using Result = decltype(work(*this));
    if constexpr (std::is_void_v<Result>) {
      run_transaction([&](PgConnection& connection) { work(connection); });
    } else {
      std::optional<Result> out;
      run_transaction([&](PgConnection& connection) { out.emplace(work(connection)); });
      return std::move(*out);
    }
  }

  // Inside transaction(): roll back instead of committing (nothing this call wrote may stay).
  void discard() { discard_ = true; }

  // Runs `statement` and returns its rows. What the transaction still holds back (its BEGIN, the deferred statements)
  // goes out first, in the same round trip.
  PgRows exec(const PgStatement& statement, std::vector<PgParam> params = {});
  // A statement whose answer nothing reads (a write, a lock): held back and sent with the next exec() or with the
  // commit, in one round trip (libpq pipeline mode). The server still runs it in order, before what follows it, and
  // its failure fails the transaction there just the same; only the error surfaces one call later.
  void exec_deferred(const PgStatement& statement, std::vector<PgParam> params = {});
  // Runs `queries` in order in one round trip, with what the transaction still holds back, and returns the rows of
  // each: for reads that do not depend on each other's answers (a read after a lock, a row lock with the reads
  // beside it). A failure of any of them fails the transaction as exec() does.
  std::vector<PgRows> exec_together(const std::vector<PgQuery>& queries);
  // A statement built at run time (DDL of migrations, simple queries): never prepared.
  void exec_simple(const std::string& sql);

 private:
  void run_transaction(const std::function<void(PgConnection&)>& work);
  // Sends the pending BEGIN, the deferred statements and `answered` in one pipeline and returns the rows of each of
  // `answered`. `prepare_answered` false sends them unnamed (transaction control).
  std::vector<PgRows> run_pipeline(const std::vector<PgQuery>& answered, bool prepare_answered = true);
  void begin();
  void commit();
  void rollback() noexcept;
  void drop() noexcept;
  [[noreturn]] void fail(pg_result* result, const char* what);
  bool connection_lost() const;
  static void pause_before_retry(int attempt);

  PgSettings settings_;
  std::string begin_sql_;
  std::string statement_timeout_ms_;
  // statement_timeout ($1, in ms) and plan_cache_mode, both for this transaction only (set_config's `true` is SET
  // LOCAL), so that they hold through a transaction-mode pooler too. Generic plans: left to itself, PostgreSQL plans a
  // prepared statement again on every call whenever its generic plan's estimate is dearer than the custom plans',
  // which is always so for our statements over unnest() arrays. The limit windows' read was planned anew on each of
  // its calls, 0.25 ms each, three times what it took to run; planning was over a third of the server's time in
  // statements during logins. Its generic plan runs as fast (docs/performance.md, G). Prepared like the others: as a
  // simple query it was parsed and planned again in every transaction.
  static constexpr PgStatement transaction_settings_{
      "transaction_settings",
      "SELECT set_config('statement_timeout', $1, true), set_config('plan_cache_mode', 'force_generic_plan', true)"};
  pg_conn* conn_ = nullptr;
  // BEGIN is not sent on its own: it goes out with the transaction's first statement.
  bool begin_pending_ = false;
  bool fresh_connection_ = false;  // made by this transaction's begin(): a failure of its BEGIN is no stale connection
  std::vector<PgQuery> deferred_;
  std::unordered_set<std::string> prepared_;
  bool discard_ = false;
};

}  // namespace sms_auth
