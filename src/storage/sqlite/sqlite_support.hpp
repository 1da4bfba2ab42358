// Internal to storage/sqlite: the transaction guard, row helpers and the locked-connection runner shared by the
// SqliteRepository translation units (one per topic). Not part of the storage interface.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <mutex>
#include <optional>
#include <string>

#include "storage/repository.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {

// One call's transaction. Alone, BEGIN IMMEDIATE … COMMIT: the write lock taken up front, so a read-then-write inside
// can never be refused half-way with SQLITE_BUSY (the deferred BEGIN's upgrade problem), and the commit fsynced
// (synchronous=FULL) before the call returns. Inside a group (GroupCommit: a transaction is already open on the
// connection), a savepoint: its failure undoes only itself, and the group's one commit makes it durable.
class ImmediateTransaction {
 public:
  explicit ImmediateTransaction(SQLite::Database& db)
      : db_(db), nested_(sqlite3_get_autocommit(db.getHandle()) == 0) {
    db_.exec(nested_ ? "SAVEPOINT call" : "BEGIN IMMEDIATE");
  }
  ImmediateTransaction(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;
  ~ImmediateTransaction() {
    if (done_) return;
    try {
      // ROLLBACK TO leaves the savepoint open; RELEASE then ends it without keeping anything of it.
      db_.exec(nested_ ? "ROLLBACK TO call; RELEASE call" : "ROLLBACK");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the connection already rolled back on its own error
    }
  }
  void commit() {
    db_.exec(nested_ ? "RELEASE call" : "COMMIT");
    done_ = true;
  }

 private:
  SQLite::Database& db_;
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

inline constexpr const char* kUserColumns =
    "SELECT id, phone_number, created_at, last_login_at, blocked_at FROM users ";

template <class Work>
auto SqliteRepository::with_database(Work&& work) {
  std::lock_guard lock(mutex_);
  try {
    return work(*db_);
  } catch (const SQLite::Exception& e) {
    throw StorageUnavailable(std::string("SQLite: ") + e.what());
  }
}

}  // namespace sms_auth
