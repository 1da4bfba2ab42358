// What each service awaits from storage: one narrow interface per consumer, all implemented by StorageEngine.
//
// Repository (repository.hpp) is what a database implements, synchronously, one connection per thread; these are
// what domain code sees: the same atomic calls, awaitable, cut to what one service uses, so that a service's
// constructor says which part of the database it touches and a unit test can stand a small fake in front of it.
// Parameters are taken by value: the calls are coroutines (see core/async.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "storage/repository.hpp"

namespace sms_auth {

// Codes: issue (with every limit checked and counted in the same transaction), refund, verify. OtpService.
class AsyncCodeStore {
 public:
  virtual ~AsyncCodeStore() = default;
  virtual awaitable<result<IssuedCode, LimitExceeded>> issue_code(IssueCodeRequest request) = 0;
  virtual awaitable<void> cancel_issue(std::string phone_number, std::string challenge_id, std::string reservation_id,
                                       bool remove_code, std::vector<std::string> keep_buckets) = 0;
  virtual awaitable<void> mark_delivery_uncertain(std::string phone_number, std::string challenge_id,
                                                  bool uncertain) = 0;
  virtual awaitable<VerifyCodeResult> verify_code(VerifyCodeRequest request) = 0;
};

// Sessions after login: rotation, lookup, revocation, and the account behind them. SessionService.
class AsyncSessionStore {
 public:
  virtual ~AsyncSessionStore() = default;
  virtual awaitable<RotateRefreshTokenResult> rotate_refresh_token(RotateRefreshTokenRequest request) = 0;
  virtual awaitable<std::optional<SessionRecord>> find_session(std::string session_id) = 0;
  virtual awaitable<bool> revoke_session(std::string user_id, std::string session_id, TimePoint now,
                                         std::string reason) = 0;
  virtual awaitable<int> revoke_user_sessions(std::string user_id, TimePoint now, std::string reason) = 0;
  virtual awaitable<std::optional<UserRecord>> find_user_by_id(std::string user_id) = 0;
};

// The record of every SMS sent and what became of it. SmsDelivery.
class AsyncSmsMessageLog {
 public:
  virtual ~AsyncSmsMessageLog() = default;
  virtual awaitable<void> record_sent_sms(SmsMessageRecord record) = 0;
  virtual awaitable<std::vector<std::string>> claim_sms_to_check(TimePoint now, TimePoint sent_after, std::size_t limit,
                                                                 std::string gateway) = 0;
  virtual awaitable<std::vector<SmsStatusApplied>> apply_sms_statuses(std::vector<SmsDeliveryStatus> updates,
                                                                      TimePoint now) = 0;
  virtual awaitable<SmsStatusApplied> apply_sms_report(std::string event_id, SmsDeliveryStatus update,
                                                       TimePoint now) = 0;
  virtual awaitable<std::vector<SmsMessageRecord>> recent_sms(std::string phone_number, std::size_t limit) = 0;
  virtual awaitable<std::size_t> prune_sms(TimePoint messages_before, TimePoint events_before) = 0;
};

// The limit tallies of every instance, summed per bucket. ConversionMonitor.
class AsyncLimitStatistics {
 public:
  virtual ~AsyncLimitStatistics() = default;
  virtual awaitable<std::map<std::string, std::int64_t, std::less<>>> count_events_by_bucket(std::string bucket_prefix,
                                                                                             TimePoint since) = 0;
};

// What the engine's grouping did so far, for metrics and tests.
struct GroupCommitStats {
  std::uint64_t groups_committed = 0;  // shared transactions that committed
  std::uint64_t calls_grouped = 0;     // calls answered from those transactions
  std::uint64_t groups_undone = 0;     // shared transactions rolled back; their calls then ran one by one
};

// Whether the database answers and carries this build's schema, and how the writer groups commits. HealthHandlers.
class AsyncStorageHealth {
 public:
  virtual ~AsyncStorageHealth() = default;
  virtual awaitable<void> ping() = 0;
  virtual awaitable<int> schema_version() = 0;
  virtual int expected_schema_version() const = 0;  // of this build
  virtual GroupCommitStats group_commit_stats() const = 0;
};

}  // namespace sms_auth
