// Internal to storage/sqlite: the transaction guard, row helpers and the locked-connection runner shared by the
// SqliteRepository translation units (one per topic). Not part of the storage interface.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <array>
#include <cstddef>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "storage/repository.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {

// One call's transaction. Alone, BEGIN IMMEDIATE … COMMIT: the write lock taken up front, so a read-then-write inside
// can never be refused half-way with SQLITE_BUSY (the deferred BEGIN's upgrade problem), and the commit fsynced
// (synchronous=FULL) before the call returns. Inside a group (GroupCommit: a transaction is already open on the
// connection), a savepoint: its failure undoes only itself, and the group's one commit makes it durable.
// Statements prepared once per connection and reused: preparing (SQLite's parser and planner) was a visible share of
// every call's CPU. Keyed by the SQL text; a bounded number, since a few statements are built from a fixed set of
// clauses. Only the connection's own thread uses it (the repository's lock is held).
class StatementCache {
 public:
  struct Entry {
    std::unique_ptr<SQLite::Statement> statement;
    bool in_use = false;
  };

  // The cached statement for `sql`, prepared now if new; nullptr when the cache is full (the caller prepares its own).
  Entry* find_or_prepare(SQLite::Database& db, std::string_view sql) {
    if (auto it = entries_.find(sql); it != entries_.end()) return &it->second;
    if (entries_.size() >= kMaxStatements) return nullptr;
    Entry entry{std::make_unique<SQLite::Statement>(db, std::string(sql))};
    return &entries_.emplace(std::string(sql), std::move(entry)).first->second;
  }

 private:
  static constexpr std::size_t kMaxStatements = 256;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

// What a repository call works on: the connection and its prepared statements.
struct SqliteConnection {
  SQLite::Database& database;
  StatementCache& statements;

  operator SQLite::Database&() { return database; }  // NOLINT(google-explicit-constructor): one connection, two views
  void exec(const std::string& sql) { database.exec(sql); }
  SQLite::Column execAndGet(const std::string& sql) { return database.execAndGet(sql); }
  bool tableExists(const std::string& table) { return database.tableExists(table); }
};

// A statement of the cache for the duration of one use. It is reset (and its bindings cleared) when the use ends, so
// that a finished read never keeps a WAL snapshot or a lock open on a connection that stays open. Used again while
// in use (a statement run inside a loop over its own rows), it is prepared afresh for the inner use.
class Prepared {
 public:
  Prepared(SqliteConnection& connection, std::string_view sql)
      : entry_(connection.statements.find_or_prepare(connection.database, sql)) {
    if (entry_ && !entry_->in_use) {
      entry_->in_use = true;
      statement_ = entry_->statement.get();
    } else {
      entry_ = nullptr;
      own_ = std::make_unique<SQLite::Statement>(connection.database, std::string(sql));
      statement_ = own_.get();
    }
  }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  ~Prepared() {
    if (!entry_) return;
    statement_->tryReset();
    try {
      statement_->clearBindings();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the next use binds every parameter anyway
    }
    entry_->in_use = false;
  }

  template <class... Args>
  void bind(Args&&... args) {
    statement_->bind(std::forward<Args>(args)...);
  }
  bool executeStep() { return statement_->executeStep(); }
  int exec() { return statement_->exec(); }
  SQLite::Column getColumn(int index) { return statement_->getColumn(index); }
  void reset() { statement_->reset(); }
  operator SQLite::Statement&() { return *statement_; }  // NOLINT(google-explicit-constructor): for the row readers

 private:
  StatementCache::Entry* entry_;
  std::unique_ptr<SQLite::Statement> own_;
  SQLite::Statement* statement_ = nullptr;
};

class ImmediateTransaction {
 public:
  // Its statements come from the connection's cache: inside a group every call opens and releases a savepoint, and
  // parsing those two statements anew each time was a few per cent of the writer thread's CPU.
  explicit ImmediateTransaction(SqliteConnection& connection)
      : connection_(connection), nested_(sqlite3_get_autocommit(connection.database.getHandle()) == 0) {
    run(nested_ ? "SAVEPOINT call" : "BEGIN IMMEDIATE");
  }
  ImmediateTransaction(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;
  ~ImmediateTransaction() {
    if (done_) return;
    try {
      // ROLLBACK TO leaves the savepoint open; RELEASE then ends it without keeping anything of it. Rare: not prepared.
      connection_.exec(nested_ ? "ROLLBACK TO call; RELEASE call" : "ROLLBACK");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the connection already rolled back on its own error
    }
  }
  void commit() {
    run(nested_ ? "RELEASE call" : "COMMIT");
    done_ = true;
  }

 private:
  void run(std::string_view sql) {
    Prepared statement(connection_, sql);
    statement.exec();
  }

  SqliteConnection& connection_;
  const bool nested_;
  bool done_ = false;
};

inline void bind_blob(SQLite::Statement& statement, int index, const Bytes& bytes) {
  statement.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

inline Bytes column_blob(const SQLite::Column& column) {
  const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
  return Bytes(data, data + column.getBytes());
}

inline std::optional<TimePoint> column_time(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return from_unix_ms(column.getInt64());
}

// Reads the five columns of kUserColumns, starting at `first`.
inline UserRecord read_user(SQLite::Statement& row, int first = 0) {
  UserRecord user;
  user.id = row.getColumn(first).getString();
  user.phone_number = row.getColumn(first + 1).getString();
  user.created_at = from_unix_ms(row.getColumn(first + 2).getInt64());
  user.last_login_at = column_time(row.getColumn(first + 3));
  user.blocked = !row.getColumn(first + 4).isNull();
  return user;
}

// SQL joined from shared fragments at compile time: a statement used on every request is neither built anew per call
// (an allocation, and the lookup key of the statement cache) nor written out twice. Written by hand: the standard
// library has no constexpr string concatenation before C++26.
template <std::size_t... Sizes>
constexpr auto join_sql(const char (&... parts)[Sizes]) {
  std::array<char, (Sizes + ...) - sizeof...(Sizes) + 1> joined{};
  std::size_t at = 0;
  for (const std::string_view part : {std::string_view(parts, Sizes - 1)...}) {
    for (const char c : part) joined[at++] = c;
  }
  return joined;
}

template <std::size_t Size>
constexpr std::string_view sql_of(const std::array<char, Size>& joined) {
  return std::string_view(joined.data(), Size - 1);
}

inline constexpr char kUserColumns[] = "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users ";
inline constexpr auto kUserById = join_sql(kUserColumns, "WHERE id = ?");
inline constexpr auto kUserByPhone = join_sql(kUserColumns, "WHERE phone_number = ?");

template <class Work>
auto SqliteRepository::with_database(Work&& work) {
  std::lock_guard lock(mutex_);
  try {
    SqliteConnection connection{*db_, *statements_};
    return work(connection);
  } catch (const SQLite::Exception& e) {
    throw StorageUnavailable(std::string("SQLite: ") + e.what());
  }
}

}  // namespace sms_auth
