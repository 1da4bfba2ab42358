// libpq plumbing of the PostgreSQL repository: connecting with bounded waits, prepared statements, transactions with
// bounded retries, and turning a lost server into StorageUnavailable (the next call reconnects).
#include "storage/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "storage/repository.hpp"

namespace sms_auth {
namespace {

constexpr int kMaxAttempts = 5;  // of a transaction that meets serialization failures or deadlocks

// The first line of a libpq message (they end in newlines and may carry a DETAIL line).
std::string first_line(const char* message) {
  std::string text = message ? message : "";
  const auto end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  return text.empty() ? "unknown error" : text;
}

// A lost connection is replaced on the next call; these states also mean "this server cannot serve us now":
// shut down (57P0x), not a primary any more (25006, after a failover), or any connection exception (class 08).
bool server_gone(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 || sqlstate == "25006";
}

// Thrown by begin() when the connection turned out dead before this transaction did anything: safe to retry.
struct StaleConnection {
  std::string reason;
};

}  // namespace

std::string redact_database_url(std::string_view url) {
  std::string out(url);
  // user:password@host: everything between the first ':' after "://" and the last '@' of the authority.
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto authority_start = scheme + 3;
    const auto authority_end = out.find_first_of("/?", authority_start);
    const auto at = out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at >= authority_start) {
      const auto colon = out.find(':', authority_start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=… among the query parameters (or a key=value string).
  for (std::size_t pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos)) {
    pos += 9;
    const auto end = out.find_first_of("& ", pos);
    out.replace(pos, (end == std::string::npos ? out.size() : end) - pos, "***");
  }
  return out;
}

PgRows::PgRows(pg_result* result) : result_(result) {}
PgRows::PgRows(PgRows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
PgRows::~PgRows() {
  if (result_) PQclear(result_);
}
int PgRows::size() const { return PQntuples(result_); }
int PgRows::affected() const {
  const char* count = PQcmdTuples(result_);
  return count && *count ? std::atoi(count) : 0;
}
bool PgRows::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string PgRows::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column)));
}
std::int64_t PgRows::integer(int row, int column) const { return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10); }
bool PgRows::boolean(int row, int column) const { return PQgetvalue(result_, row, column)[0] == 't'; }
std::optional<std::int64_t> PgRows::optional_integer(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return integer(row, column);
}
Bytes PgRows::bytes(int row, int column) const {
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (!raw) throw StorageUnavailable("PostgreSQL: cannot decode a bytea value");
  Bytes out(raw, raw + length);
  PQfreemem(raw);
  return out;
}

PgConnection::PgConnection(PgSettings settings) : settings_(std::move(settings)) {
  begin_sql_ = "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL statement_timeout = " +
               std::to_string(settings_.statement_timeout.count());
}

PgConnection::~PgConnection() { drop(); }

void PgConnection::drop() noexcept {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
}

bool PgConnection::connection_lost() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }

void PgConnection::connect() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return;
  drop();
  // Our defaults first, the URL last: whatever the URL sets wins (libpq keeps the last value of a keyword).
  const std::string timeout = std::to_string(settings_.connect_timeout_seconds);
  const char* keywords[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "1", "10", "5", "3", "10000", "sms-auth", settings_.url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const std::string reason = conn_ ? first_line(PQerrorMessage(conn_)) : "out of memory";
    drop();
    throw StorageUnavailable("cannot connect to PostgreSQL (DATABASE_URL=" + redact_database_url(settings_.url) +
                             "): " + reason);
  }
  // Server notices ("relation already exists, skipping") would go to stderr unformatted; they carry nothing to act on.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

void PgConnection::fail(pg_result* result, const char* what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  const std::string message =
      first_line(result && *PQresultErrorMessage(result) ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (result) PQclear(result);
  if (connection_lost() || server_gone(sqlstate)) {
    drop();
    throw StorageUnavailable(std::string("PostgreSQL connection lost (") + what + "): " + message);
  }
  throw PgError(sqlstate, std::string("PostgreSQL (") + what + "): " + message);
}

PgRows PgConnection::exec(const PgStatement& statement, const std::vector<PgParam>& params) {
  connect();
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.size());
  for (const auto& param : params) {
    values.push_back(param.value ? param.value->data() : nullptr);
    lengths.push_back(param.value ? static_cast<int>(param.value->size()) : 0);
    formats.push_back(param.binary ? 1 : 0);
  }
  const int count = static_cast<int>(params.size());
  pg_result* result = nullptr;
  if (settings_.prepared_statements) {
    if (!prepared_.contains(statement.name)) {
      pg_result* prepared = PQprepare(conn_, statement.name, statement.sql, 0, nullptr);
      if (!prepared || PQresultStatus(prepared) != PGRES_COMMAND_OK) fail(prepared, statement.name);
      PQclear(prepared);
      prepared_.insert(statement.name);
    }
    result = PQexecPrepared(conn_, statement.name, count, values.data(), lengths.data(), formats.data(), 0);
  } else {
    result = PQexecParams(conn_, statement.sql, count, nullptr, values.data(), lengths.data(), formats.data(), 0);
  }
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(result, statement.name);
  return PgRows(result);
}

void PgConnection::exec_simple(const std::string& sql) {
  connect();
  pg_result* result = PQexec(conn_, sql.c_str());
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(result, "statement");
  PQclear(result);
}

void PgConnection::begin() {
  const bool had_connection = conn_ != nullptr;
  connect();
  pg_result* result = PQexec(conn_, begin_sql_.c_str());
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK) {
    PQclear(result);
    return;
  }
  if (had_connection && connection_lost()) {
    // An idle connection the server closed (restart, failover, idle timeout): nothing was done, try a new one.
    const std::string reason = first_line(PQerrorMessage(conn_));
    PQclear(result);
    drop();
    throw StaleConnection{reason};
  }
  fail(result, "begin");
}

void PgConnection::commit() {
  pg_result* result = PQexec(conn_, discard_ ? "ROLLBACK" : "COMMIT");
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) fail(result, "commit");
  PQclear(result);
}

void PgConnection::rollback() noexcept {
  if (connection_lost()) return;
  pg_result* result = PQexec(conn_, "ROLLBACK");
  if (result) PQclear(result);
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) drop();  // cannot tell its state: start afresh next time
}

void PgConnection::pause_before_retry(int attempt) {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<int> jitter(1, 5 << attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(jitter(random)));
}

void PgConnection::run_transaction(const std::function<void(PgConnection&)>& work) {
  bool replaced_stale = false;
  for (int attempt = 0;; ++attempt) {
    discard_ = false;
    try {
      begin();
    } catch (const StaleConnection& stale) {
      if (replaced_stale) throw StorageUnavailable("PostgreSQL connection lost: " + stale.reason);
      replaced_stale = true;
      --attempt;
      continue;
    }
    try {
      work(*this);
      commit();
      return;
    } catch (const PgError& e) {
      rollback();
      if (!e.retryable() || attempt + 1 >= kMaxAttempts) throw StorageUnavailable(e.what());
    } catch (...) {
      rollback();
      throw;
    }
    pause_before_retry(attempt);
  }
}

}  // namespace sms_auth
