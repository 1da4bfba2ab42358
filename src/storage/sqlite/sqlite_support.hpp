// Internal to storage/sqlite: the transaction guard, row helpers and the locked-connection runner shared by the
// SqliteRepository translation units (one per topic). Not part of the storage interface.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <mutex>
#include <optional>
#include <string>

#include "storage/repository.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {

// How a write transaction reaches the disk. `durable` (the connection's synchronous=FULL): the commit is fsynced
// before it returns, for what a 200 promises (a consumed code, a session, a rotation, a block). `crash_safe`
// (synchronous=NORMAL for this commit): no fsync; WAL still keeps the commit through a process crash or kill -9, and
// only an OS crash or power loss can drop it: acceptable for what a lost commit merely repeats (a pending code the
// user asks again for, limit events, pruning). The next durable commit fsyncs the WAL, and these with it.
enum class Durability { durable, crash_safe };

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write inside the transaction can never be refused
// half-way with SQLITE_BUSY (the deferred BEGIN's upgrade problem).
class ImmediateTransaction {
 public:
  explicit ImmediateTransaction(SQLite::Database& db, Durability durability = Durability::durable)
      : db_(db), relaxed_(durability == Durability::crash_safe) {
    if (relaxed_) db_.exec("PRAGMA synchronous = NORMAL");
    db_.exec("BEGIN IMMEDIATE");
  }
  ImmediateTransaction(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;
  ~ImmediateTransaction() {
    try {
      if (!done_) db_.exec("ROLLBACK");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the connection already rolled back on its own error
    }
    restore_synchronous();
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
    restore_synchronous();
  }

 private:
  void restore_synchronous() noexcept {
    if (!relaxed_) return;
    relaxed_ = false;
    try {
      db_.exec("PRAGMA synchronous = FULL");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the next statement on a broken connection reports the failure
    }
  }

  SQLite::Database& db_;
  bool relaxed_;
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
