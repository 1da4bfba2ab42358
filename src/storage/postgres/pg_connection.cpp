// libpq plumbing of the PostgreSQL repository: connecting with bounded waits, prepared statements, transactions with
// bounded retries, and turning a lost server into StorageUnavailable (the next call reconnects).
#include "storage/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>
#include <utility>

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

// Thrown when the connection turned out dead at the transaction's BEGIN, before it did anything: safe to retry.
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
PgRows& PgRows::operator=(PgRows&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
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
  // Two commands, not one string: a pipeline carries one command per message.
  begin_sql_ = "BEGIN ISOLATION LEVEL READ COMMITTED";
  statement_timeout_ms_ = std::to_string(settings_.statement_timeout.count());
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

PgRows PgConnection::exec(const PgStatement& statement, std::vector<PgParam> params) {
  connect();
  // Built by hand: a braced list would copy the parameters once more (its elements are const).
  std::vector<PgQuery> one;
  one.push_back(PgQuery{statement, std::move(params)});
  return std::move(run_pipeline(one).front());
}

std::vector<PgRows> PgConnection::exec_together(const std::vector<PgQuery>& queries) {
  connect();
  return run_pipeline(queries);
}

void PgConnection::exec_deferred(const PgStatement& statement, std::vector<PgParam> params) {
  deferred_.push_back(PgQuery{statement, std::move(params)});
}

std::vector<PgRows> PgConnection::run_pipeline(const std::vector<PgQuery>& answered, bool prepare_answered) {
  // What one command of the pipeline is called in errors, for a PQsendPrepare which name it prepares, and whether its
  // rows are returned.
  struct Sent {
    const char* what;
    const char* prepares = nullptr;
    bool returned = false;
  };
  const bool begins = std::exchange(begin_pending_, false);
  const std::vector<PgQuery> deferred = std::exchange(deferred_, {});
  std::vector<Sent> sent;
  sent.reserve(deferred.size() + answered.size() + 4);
  std::size_t answered_commands = 0;  // commands that succeeded
  // The connection cannot be trusted any more (a send failed, the answers do not line up): start afresh next time.
  // A reused connection found dead before any command of a beginning transaction answered is worth one retry: the
  // transaction did nothing (a pipeline that begins never carries the COMMIT, see commit()).
  const auto abandon = [&](std::string reason) {
    drop();
    if (begins && answered_commands == 0 && !fresh_connection_) throw StaleConnection{reason};
    throw StorageUnavailable("PostgreSQL connection lost: " + reason);
  };
  const auto libpq_reason = [&] { return first_line(conn_ ? PQerrorMessage(conn_) : nullptr); };

  if (PQenterPipelineMode(conn_) != 1) abandon(libpq_reason());
  const auto send_text = [&](const char* what, const std::string& sql) {
    if (PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) abandon(libpq_reason());
    sent.push_back({what});
  };
  const auto send_statement = [&](const PgStatement& statement, const std::vector<PgParam>& params, bool prepare,
                                  bool returned) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    values.reserve(params.size());
    lengths.reserve(params.size());
    formats.reserve(params.size());
    for (const auto& param : params) {
      values.push_back(param.value ? param.value->data() : nullptr);
      lengths.push_back(param.value ? static_cast<int>(param.value->size()) : 0);
      formats.push_back(param.binary ? 1 : 0);
    }
    const int count = static_cast<int>(params.size());
    int queued = 0;
    if (prepare && settings_.prepared_statements) {
      // Prepared once: a statement sent twice in one pipeline is prepared by the first of them.
      const auto prepared_here = [&] {
        return std::any_of(sent.begin(), sent.end(),
                           [&](const Sent& s) { return s.prepares && std::string_view(s.prepares) == statement.name; });
      };
      if (!prepared_.contains(statement.name) && !prepared_here()) {
        if (PQsendPrepare(conn_, statement.name, statement.sql, 0, nullptr) != 1) abandon(libpq_reason());
        sent.push_back({statement.name, statement.name});
      }
      queued = PQsendQueryPrepared(conn_, statement.name, count, values.data(), lengths.data(), formats.data(), 0);
    } else {
      queued =
          PQsendQueryParams(conn_, statement.sql, count, nullptr, values.data(), lengths.data(), formats.data(), 0);
    }
    if (queued != 1) abandon(libpq_reason());
    sent.push_back({statement.name, nullptr, returned});
  };

  if (begins) {
    send_text("begin", begin_sql_);
    send_statement(transaction_settings_, {statement_timeout_ms_}, true, false);
  }
  for (const auto& query : deferred) send_statement(query.statement, query.params, true, false);
  for (const auto& query : answered) send_statement(query.statement, query.params, prepare_answered, true);
  if (PQpipelineSync(conn_) != 1) abandon(libpq_reason());

  // Each command answers with one result and then a null; after a failure the rest answer PIPELINE_ABORTED; the sync
  // answers last. Everything is read before anything is thrown, so the connection leaves pipeline mode clean.
  pg_result* failure = nullptr;
  std::size_t failed_at = 0;
  std::vector<PgRows> rows;  // owns the results of `answered` as they come
  rows.reserve(answered.size());
  bool lined_up = true;
  for (std::size_t i = 0; i < sent.size() && lined_up; ++i) {
    pg_result* result = PQgetResult(conn_);
    if (!result) {
      lined_up = false;
      break;
    }
    const auto status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      ++answered_commands;
      if (sent[i].prepares) prepared_.insert(sent[i].prepares);
      if (sent[i].returned) {
        rows.emplace_back(result);
      } else {
        PQclear(result);
      }
    } else if (status == PGRES_PIPELINE_ABORTED || failure) {
      PQclear(result);
    } else {
      failure = result;
      failed_at = i;
    }
    pg_result* end_of_command = PQgetResult(conn_);
    if (end_of_command) {
      PQclear(end_of_command);
      lined_up = false;
    }
  }
  if (lined_up) {
    pg_result* sync = PQgetResult(conn_);
    lined_up = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    if (sync) PQclear(sync);
  }
  if (!lined_up || PQexitPipelineMode(conn_) != 1 || connection_lost()) {
    // The server's own words, when it sent any, are the better reason.
    std::string reason = failure ? first_line(PQresultErrorMessage(failure)) : libpq_reason();
    if (failure) PQclear(failure);
    abandon(std::move(reason));
  }
  if (failure) fail(failure, sent[failed_at].what);
  if (rows.size() != answered.size()) abandon("a statement of the pipeline returned no result");
  return rows;
}

void PgConnection::exec_simple(const std::string& sql) {
  connect();
  if (begin_pending_ || !deferred_.empty()) run_pipeline({});  // keep the order of statements
  pg_result* result = PQexec(conn_, sql.c_str());
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(result, "statement");
  PQclear(result);
}

void PgConnection::begin() {
  fresh_connection_ = connection_lost();
  connect();
  deferred_.clear();
  begin_pending_ = true;
}

void PgConnection::commit() {
  if (discard_) {
    rollback();  // drops what is still held back too
    return;
  }
  // A transaction that sent nothing has nothing to commit.
  if (begin_pending_ && deferred_.empty()) {
    begin_pending_ = false;
    return;
  }
  // A transaction of deferred statements only sends them (and its BEGIN) first, and its COMMIT on its own: a pipeline
  // that found the connection dead may then run again on a new one, which it could not if it might have committed.
  if (begin_pending_) run_pipeline({});
  static const std::vector<PgQuery> kCommit{PgQuery{{"commit", "COMMIT"}, {}}};
  run_pipeline(kCommit, /*prepare_answered=*/false);
}

void PgConnection::rollback() noexcept {
  deferred_.clear();
  if (std::exchange(begin_pending_, false)) return;  // nothing of the transaction was sent
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
    begin();
    try {
      work(*this);
      commit();
      return;
    } catch (const StaleConnection& stale) {
      // The connection was found dead by this transaction's BEGIN: nothing of it ran, so it runs again on a new one.
      rollback();
      if (replaced_stale) throw StorageUnavailable("PostgreSQL connection lost: " + stale.reason);
      replaced_stale = true;
      --attempt;
      continue;
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
