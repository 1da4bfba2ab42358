// The Repository on an embedded SQLite file (WAL, synchronous=FULL): the one-node default.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "storage/repository.hpp"
#include "storage/storage_engine.hpp"

namespace SQLite {
class Database;
}

namespace sms_auth {

class StatementCache;  // sqlite_support.hpp

class SqliteRepository final : public Repository, public GroupCommit {
 public:
  // Opens (creating if needed, with its parent directory) the database file. Throws StorageUnavailable on failure.
  explicit SqliteRepository(const std::string& path);
  ~SqliteRepository() override;

  void migrate() override;
  int schema_version() override;
  int expected_schema_version() const override;
  void ping() override;

  result<IssuedCode, LimitExceeded> issue_code(const IssueCodeRequest& request) override;
  void cancel_issue(const std::string& phone_number, const std::string& challenge_id,
                    const std::string& reservation_id, bool remove_code,
                    const std::vector<std::string>& keep_buckets) override;
  void mark_delivery_uncertain(const std::string& phone_number, const std::string& challenge_id,
                               bool uncertain) override;
  VerifyCodeResult verify_code(const VerifyCodeRequest& request) override;

  std::optional<UserRecord> find_user_by_id(const std::string& user_id) override;
  std::optional<UserRecord> find_user_by_phone(const std::string& phone_number) override;

  std::size_t prune(TimePoint now, std::chrono::seconds longest_window) override;

  // SessionStore: sqlite_sessions.cpp
  RotateRefreshTokenResult rotate_refresh_token(const RotateRefreshTokenRequest& request) override;
  std::optional<SessionRecord> find_session(const std::string& session_id) override;
  std::vector<SessionRecord> list_sessions(const SessionListQuery& query) override;
  bool revoke_session(const std::string& user_id, const std::string& session_id, TimePoint now,
                      std::string_view reason) override;
  int revoke_user_sessions(const std::string& user_id, TimePoint now, std::string_view reason) override;
  std::vector<UserRecord> list_users(const UserListQuery& query) override;
  std::optional<BlockUserResult> set_user_blocked(const std::string& user_id, bool blocked, TimePoint now) override;
  std::size_t prune_refresh_tokens(TimePoint ended_before) override;

  // LimitStatistics (sqlite_limit_statistics.cpp)
  std::map<std::string, std::int64_t, std::less<>> count_events_by_bucket(std::string_view bucket_prefix,
                                                                          TimePoint since) override;
  // SmsMessageLog (sqlite_sms_messages.cpp)
  void record_sent_sms(const SmsMessageRecord& record) override;
  std::vector<std::string> claim_sms_to_check(TimePoint now, TimePoint sent_after, std::size_t limit,
                                              const std::string& gateway) override;
  std::vector<SmsStatusApplied> apply_sms_statuses(const std::vector<SmsDeliveryStatus>& updates,
                                                   TimePoint now) override;
  SmsStatusApplied apply_sms_report(const std::string& event_id, const SmsDeliveryStatus& update,
                                    TimePoint now) override;
  std::vector<SmsMessageRecord> recent_sms(const std::string& phone_number, std::size_t limit) override;
  std::size_t prune_sms(TimePoint messages_before, TimePoint events_before) override;

  // GroupCommit: BEGIN IMMEDIATE … COMMIT around several calls, whose own transactions become savepoints.
  void begin_group() override;
  bool group_is_open() override;
  void commit_group() override;
  void rollback_group() noexcept override;

 private:
  // Runs `work` on the connection with the process-wide lock held, turning SQLite failures into StorageUnavailable.
  // Defined in sqlite_support.hpp, shared by the topic files.
  template <class Work>
  auto with_database(Work&& work);

  // SQLite allows one writer at a time; serializing in-process writers on a mutex avoids busy-wait sleeps inside
  // SQLite, while busy_timeout still covers other processes (the CLI) writing the same file.
  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<StatementCache> statements_;  // after db_: finalized before the connection closes
};

// SQLite's process-wide settings; SQLite accepts them only before it is first used, so main() calls this first
// (anywhere later it changes nothing). Turns off SQLite's allocation statistics, which nothing here reads and which
// take one process-wide mutex on each of SQLite's allocations: 6 % of the writer thread's time under load.
void configure_sqlite_for_this_process();

// The engine for a SQLite file: one writer thread owning the write connection (SQLite has one writer at a time),
// committing the writes that queued up together in one transaction (one fsync), and `read_connections` threads with
// connections of their own for read-only calls (WAL lets them read while the writer writes; each read sees every
// commit made before it started).
StorageBackend sqlite_storage_backend(std::string path, int read_connections = 2);

}  // namespace sms_auth
