// An online copy of the SQLite database (SQLite's backup API): consistent while the server keeps serving.
#pragma once

#include <string>

namespace sms_auth {

struct SqliteBackupSummary {
  int pages = 0;
  std::string integrity;  // "ok", or SQLite's first complaint about the copy
};

// Copies the database at `source_path` into a new file at `destination_path` as one consistent snapshot (one read
// transaction, so writers in WAL mode carry on), checks the copy with PRAGMA integrity_check, and only then gives it
// its name: a failed backup never leaves a half-written file at `destination_path`. Never overwrites: throws
// std::invalid_argument when the destination exists, StorageUnavailable when the source cannot be read or the copy
// cannot be written, and std::runtime_error when the copy fails its integrity check.
SqliteBackupSummary backup_sqlite_database(const std::string& source_path, const std::string& destination_path);

}  // namespace sms_auth
