// SQLite online backup: one step under one read transaction, written beside the destination, then renamed.
#include "storage/sqlite/sqlite_backup.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "storage/repository.hpp"

namespace sms_auth {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr int kBusyRetries = 50;

void remove_quietly(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

}  // namespace

SqliteBackupSummary backup_sqlite_database(const std::string& source_path, const std::string& destination_path) {
  namespace fs = std::filesystem;
  const fs::path destination(destination_path);
  if (fs::exists(destination)) {
    throw std::invalid_argument(destination_path + " already exists; a backup never overwrites a file");
  }
  if (!fs::exists(source_path)) throw StorageUnavailable("the database " + source_path + " does not exist");
  const fs::path partial = destination.string() + ".partial";
  remove_quietly(partial);

  SqliteBackupSummary summary;
  try {
    // Read-write without create: a read-only connection cannot join a WAL database whose -shm it may not write.
    SQLite::Database source(source_path, SQLite::OPEN_READWRITE);
    source.setBusyTimeout(kBusyTimeoutMs);
    {
      SQLite::Database copy(partial.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      copy.setBusyTimeout(kBusyTimeoutMs);
      SQLite::Backup backup(copy, source);
      // All pages in one step: the copy is one snapshot. Step by step would restart whenever the server writes.
      int status = backup.executeStep(-1);
      for (int retry = 0; (status == SQLITE_BUSY || status == SQLITE_LOCKED) && retry < kBusyRetries; ++retry) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        status = backup.executeStep(-1);
      }
      if (status != SQLITE_DONE) throw StorageUnavailable("the database stayed busy; try the backup again");
      summary.pages = backup.getTotalPageCount();
      // One self-contained file (no -wal beside it); the server turns WAL on again when it opens a restored copy.
      copy.exec("PRAGMA journal_mode = DELETE");
    }
    SQLite::Database check(partial.string(), SQLite::OPEN_READONLY);
    summary.integrity = check.execAndGet("PRAGMA integrity_check").getString();
  } catch (const SQLite::Exception& e) {
    remove_quietly(partial);
    throw StorageUnavailable(std::string("backup failed: ") + e.what());
  }
  if (summary.integrity != "ok") {
    remove_quietly(partial);
    throw std::runtime_error("the copy failed its integrity check: " + summary.integrity);
  }
  fs::rename(partial, destination);
  return summary;
}

}  // namespace sms_auth
