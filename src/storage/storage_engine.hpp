// The storage engine: runs every Repository call on threads of its own, each holding a database connection, and
// makes the call awaitable, so that an I/O thread never waits on a database.
//
// A call is still one atomic Repository call (one transaction); only where it runs changes. The awaiting coroutine
// is resumed on its own executor with the call's result, or with its exception (StorageUnavailable for a broken
// database; anything else is a bug and reaches the router's 500). A call is never left hanging: it fails with
// StorageUnavailable when its queue is full, or when it was not answered within `call_timeout` (a stalled or dead
// database), so a request never waits on the database past that deadline.
//
// Generic over the database: a kind supplies a StorageBackend (a factory that opens one connection, and the shape of
// the pool). SQLite: one writer thread owning the write connection (SQLite has one writer at a time; the one thread
// groups the commits of calls that arrive together: GroupCommit) plus read connections for read-only calls.
// PostgreSQL: DATABASE_POOL_SIZE threads, each with its own connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/async.hpp"
#include "storage/repository.hpp"
#include "storage/stores.hpp"

namespace sms_auth {

// Opens one database connection: a Repository that one thread uses at a time. Called on the engine's threads (it
// must be thread-safe); throws StorageUnavailable when the database cannot be reached.
using ConnectionFactory = std::function<std::unique_ptr<Repository>()>;

struct StorageEngineOptions {
  std::string name = "storage";  // in log lines, e.g. "sqlite"
  int connections = 1;           // threads, each with a connection, taking every call
  int read_connections = 0;      // more threads with connections taking only read-only calls; 0: reads share the above
  std::size_t max_queued = 1024;  // calls waiting for a connection beyond this are refused at once (503)
  std::chrono::milliseconds call_timeout{10000};  // a call not answered by then fails with StorageUnavailable (503)
  // Calls queued together on a main connection that implements GroupCommit share one transaction, up to this many;
  // 1: each call commits alone.
  std::size_t max_group = 1;
};

// A connection that can run several calls in one transaction, each call's own transaction nested in it as a
// savepoint: SQLite's writer, where the commit's fsync is what a write costs, so one fsync for the calls that arrived
// together multiplies what the one writer carries. Used only by the engine's own thread that owns the connection.
class GroupCommit {
 public:
  virtual ~GroupCommit() = default;
  virtual void begin_group() = 0;    // throws StorageUnavailable
  virtual bool group_is_open() = 0;  // false once the database itself ended the transaction (an I/O error)
  virtual void commit_group() = 0;   // throws StorageUnavailable
  virtual void rollback_group() noexcept = 0;
};

// What a database kind provides to run an engine: how to open a connection, and the pool's shape.
struct StorageBackend {
  ConnectionFactory open_connection;
  StorageEngineOptions options;
};

// Implements every narrow interface of stores.hpp: the composition root hands each service the one it needs.
class StorageEngine final : public AsyncCodeStore,
                            public AsyncSessionStore,
                            public AsyncSmsMessageLog,
                            public AsyncLimitStatistics,
                            public AsyncStorageHealth {
 public:
  // Opens every connection now, so that an unreachable database stops start-up with StorageUnavailable, then starts
  // the threads. A connection whose call threw StorageUnavailable is dropped and opened again for the next call
  // (the database restarted, failed over, or the file was replaced): the engine recovers without a restart.
  explicit StorageEngine(StorageBackend backend);
  // Fails the calls still queued with StorageUnavailable and joins the threads (after the calls in progress).
  ~StorageEngine() override;
  StorageEngine(const StorageEngine&) = delete;
  StorageEngine& operator=(const StorageEngine&) = delete;

  const StorageEngineOptions& options() const;
  GroupCommitStats group_commit_stats() const override;

  // Runs `work` on a connection and waits for it: for the main thread at start-up, the CLI and tests. Never on an
  // I/O thread. Not bounded by call_timeout.
  template <class Work>
  auto run_blocking(Work work) -> decltype(work(std::declval<Repository&>()));

  // ---- Repository, awaitable (stores.hpp; repository.hpp says what each call promises) ----
  awaitable<void> migrate();
  awaitable<int> schema_version() override;
  int expected_schema_version() const override;  // of this build, read once at construction
  awaitable<void> ping() override;

  awaitable<result<IssuedCode, LimitExceeded>> issue_code(IssueCodeRequest request) override;
  awaitable<void> cancel_issue(std::string phone_number, std::string challenge_id, std::string reservation_id,
                               bool remove_code, std::vector<std::string> keep_buckets) override;
  awaitable<void> mark_delivery_uncertain(std::string phone_number, std::string challenge_id, bool uncertain) override;
  awaitable<VerifyCodeResult> verify_code(VerifyCodeRequest request) override;
  awaitable<std::optional<UserRecord>> find_user_by_id(std::string user_id) override;
  awaitable<std::optional<UserRecord>> find_user_by_phone(std::string phone_number);
  awaitable<std::size_t> prune(TimePoint now, std::chrono::seconds longest_window);

  awaitable<RotateRefreshTokenResult> rotate_refresh_token(RotateRefreshTokenRequest request) override;
  awaitable<std::optional<SessionRecord>> find_session(std::string session_id) override;
  awaitable<std::vector<SessionRecord>> list_sessions(SessionListQuery query);
  awaitable<bool> revoke_session(std::string user_id, std::string session_id, TimePoint now,
                                 std::string reason) override;
  awaitable<int> revoke_user_sessions(std::string user_id, TimePoint now, std::string reason) override;
  awaitable<std::vector<UserRecord>> list_users(UserListQuery query);
  awaitable<std::optional<BlockUserResult>> set_user_blocked(std::string user_id, bool blocked, TimePoint now);
  awaitable<std::size_t> prune_refresh_tokens(TimePoint ended_before);

  awaitable<std::map<std::string, std::int64_t, std::less<>>> count_events_by_bucket(std::string bucket_prefix,
                                                                                     TimePoint since) override;

  awaitable<void> record_sent_sms(SmsMessageRecord record) override;
  awaitable<std::vector<std::string>> claim_sms_to_check(TimePoint now, TimePoint sent_after, std::size_t limit,
                                                         std::string gateway) override;
  awaitable<std::vector<SmsStatusApplied>> apply_sms_statuses(std::vector<SmsDeliveryStatus> updates,
                                                              TimePoint now) override;
  awaitable<SmsStatusApplied> apply_sms_report(std::string event_id, SmsDeliveryStatus update, TimePoint now) override;
  awaitable<std::vector<SmsMessageRecord>> recent_sms(std::string phone_number, std::size_t limit) override;
  awaitable<std::size_t> prune_sms(TimePoint messages_before, TimePoint events_before) override;

  // Which connections a call may use: writes (and reads when there are no read connections) go to the main pool.
  enum class Access { write, read };
  class Engine;  // the queues and threads (storage_engine.cpp)

 private:
  void run_blocking_job(const std::function<void(Repository&)>& job);

  std::unique_ptr<Engine> engine_;
  int expected_schema_version_ = 0;
};

template <class Work>
auto StorageEngine::run_blocking(Work work) -> decltype(work(std::declval<Repository&>())) {
  using Result = decltype(work(std::declval<Repository&>()));
  if constexpr (std::is_void_v<Result>) {
    run_blocking_job([&](Repository& connection) { work(connection); });
  } else {
    std::optional<Result> out;
    run_blocking_job([&](Repository& connection) { out.emplace(work(connection)); });
    return std::move(*out);
  }
}

}  // namespace sms_auth
