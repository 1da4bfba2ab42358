// The Repository on PostgreSQL through one libpq connection: several instances share one database and keep every
// promise (a code consumed once, limits held across instances, rotation without forks) by row and advisory locks.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "storage/postgres/pg_connection.hpp"
#include "storage/repository.hpp"

namespace sms_auth {

// How a call takes its limit buckets' locks (postgres_repository.cpp).
enum class LockModes { shared_where_far_from_limits, exclusive };

class PostgresRepository final : public Repository {
 public:
  // Does not connect: the first call does (connect() to fail early). Thread-safe (calls on one object are
  // serialized); a pool of objects gives parallelism.
  explicit PostgresRepository(PgSettings settings);
  ~PostgresRepository() override;

  // Connects now; throws StorageUnavailable naming DATABASE_URL (without its password).
  void connect();

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

  // SessionStore: postgres_sessions.cpp
  RotateRefreshTokenResult rotate_refresh_token(const RotateRefreshTokenRequest& request) override;
  std::optional<SessionRecord> find_session(const std::string& session_id) override;
  std::vector<SessionRecord> list_sessions(const SessionListQuery& query) override;
  bool revoke_session(const std::string& user_id, const std::string& session_id, TimePoint now,
                      std::string_view reason) override;
  int revoke_user_sessions(const std::string& user_id, TimePoint now, std::string_view reason) override;
  std::vector<UserRecord> list_users(const UserListQuery& query) override;
  std::optional<BlockUserResult> set_user_blocked(const std::string& user_id, bool blocked, TimePoint now) override;
  std::size_t prune_refresh_tokens(TimePoint ended_before) override;

  // LimitStatistics
  std::map<std::string, std::int64_t, std::less<>> count_events_by_bucket(std::string_view bucket_prefix,
                                                                          TimePoint since) override;
  // SmsMessageLog: postgres_sms_messages.cpp
  void record_sent_sms(const SmsMessageRecord& record) override;
  std::vector<std::string> claim_sms_to_check(TimePoint now, TimePoint sent_after, std::size_t limit,
                                              const std::string& gateway) override;
  std::vector<SmsStatusApplied> apply_sms_statuses(const std::vector<SmsDeliveryStatus>& updates,
                                                   TimePoint now) override;
  SmsStatusApplied apply_sms_report(const std::string& event_id, const SmsDeliveryStatus& update,
                                    TimePoint now) override;
  std::vector<SmsMessageRecord> recent_sms(const std::string& phone_number, std::size_t limit) override;
  std::size_t prune_sms(TimePoint messages_before, TimePoint events_before) override;

 private:
  std::optional<result<IssuedCode, LimitExceeded>> issue_code_under(const IssueCodeRequest& request, LockModes modes);

  // Runs `work` as one transaction on the connection, with this object's lock held.
  template <class Work>
  auto in_transaction(Work&& work) {
    std::lock_guard lock(mutex_);
    return connection_.transaction(std::forward<Work>(work));
  }

  std::mutex mutex_;
  PgConnection connection_;
};

}  // namespace sms_auth
