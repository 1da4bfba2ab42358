// Internals shared by the SqliteRepository source files: the locked connection and BEGIN IMMEDIATE transactions.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <mutex>
#include <string>

#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write inside the transaction can never be refused
// half-way with SQLITE_BUSY (the deferred BEGIN's upgrade problem).
class ImmediateTransaction {
 public:
  explicit ImmediateTransaction(SQLite::Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ImmediateTransaction(const ImmediateTransaction&) = delete;
  ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;
  ~ImmediateTransaction() {
    if (!done_) {
      try {
        db_.exec("ROLLBACK");
      } catch (...) {  // NOLINT(bugprone-empty-catch): the connection already rolled back on its own error
      }
    }
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  SQLite::Database& db_;
  bool done_ = false;
};

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
