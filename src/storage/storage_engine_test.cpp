// The storage engine over a scripted connection: calls run on the engine's threads and resume the awaiting coroutine
// on its own thread, exceptions cross the await, a broken connection is reopened, a stalled database or a full queue
// fails the call with StorageUnavailable instead of hanging it, reads go to the read connections, start-up waits for
// one connection of a pool only.
#include "storage/storage_engine.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/run_to_completion.hpp"

namespace sms_auth {
namespace {

// What the scripted connections share with the test.
struct Script {
  std::mutex mutex;
  std::condition_variable changed;
  int opened = 0;               // connections opened so far
  bool refuse_to_open = false;  // the factory throws StorageUnavailable
  int refusals_left = 0;        // opens after the first one that the factory refuses
  int refused = 0;              // opens the factory refused
  int ping_failures = 0;        // the next pings that throw StorageUnavailable
  bool stall_pings = false;     // pings wait until released
  int stalled = 0;              // pings waiting now
  std::thread::id last_thread;  // where the last call ran
  int last_connection = -1;     // which connection (in opening order) served the last call
  int versions_served = 0;      // schema_version calls run (again after an undone group)
  int groups_begun = 0;
  int groups_committed = 0;
  int groups_rolled_back = 0;
  int commit_failures = 0;                    // the next group commits that throw StorageUnavailable
  const std::atomic<int>* answers = nullptr;  // the test's count of answered calls, read at each commit
  int answered_at_last_commit = -1;

  void served(int connection) {
    std::lock_guard lock(mutex);
    last_thread = std::this_thread::get_id();
    last_connection = connection;
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      stall_pings = false;
    }
    changed.notify_all();
  }
  void wait_for_stalled(int count) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return stalled >= count; });
  }
};

[[noreturn]] void unused() { throw std::logic_error("not scripted"); }

class ScriptedConnection final : public Repository, public GroupCommit {
 public:
  ScriptedConnection(Script& script, int index) : script_(script), index_(index) {}

  void begin_group() override {
    std::lock_guard lock(script_.mutex);
    ++script_.groups_begun;
  }
  bool group_is_open() override { return true; }
  void commit_group() override {
    std::lock_guard lock(script_.mutex);
    if (script_.commit_failures > 0) {
      --script_.commit_failures;
      throw StorageUnavailable("scripted: commit failed");
    }
    ++script_.groups_committed;
    if (script_.answers) script_.answered_at_last_commit = script_.answers->load();
  }
  void rollback_group() noexcept override {
    std::lock_guard lock(script_.mutex);
    ++script_.groups_rolled_back;
  }

  void migrate() override { script_.served(index_); }
  int schema_version() override {
    script_.served(index_);
    std::lock_guard lock(script_.mutex);
    ++script_.versions_served;
    return index_;
  }
  int expected_schema_version() const override { return 7; }
  void ping() override {
    std::unique_lock lock(script_.mutex);
    if (script_.ping_failures > 0) {
      --script_.ping_failures;
      throw StorageUnavailable("scripted: connection lost");
    }
    ++script_.stalled;
    script_.changed.notify_all();
    script_.changed.wait(lock, [&] { return !script_.stall_pings; });
    --script_.stalled;
  }

  result<IssuedCode, LimitExceeded> issue_code(const IssueCodeRequest&) override { unused(); }
  void cancel_issue(const std::string&, const std::string&, const std::string&, bool,
                    const std::vector<std::string>&) override {
    unused();
  }
  void mark_delivery_uncertain(const std::string&, const std::string&, bool) override { unused(); }
  VerifyCodeResult verify_code(const VerifyCodeRequest&) override { unused(); }
  std::optional<UserRecord> find_user_by_id(const std::string&) override { unused(); }
  std::optional<UserRecord> find_user_by_phone(const std::string&) override { unused(); }
  std::size_t prune(TimePoint, std::chrono::seconds) override { unused(); }
  RotateRefreshTokenResult rotate_refresh_token(const RotateRefreshTokenRequest&) override { unused(); }
  std::optional<SessionRecord> find_session(const std::string&) override { unused(); }
  std::vector<SessionRecord> list_sessions(const SessionListQuery&) override { unused(); }
  bool revoke_session(const std::string&, const std::string&, TimePoint, std::string_view) override { unused(); }
  int revoke_user_sessions(const std::string&, TimePoint, std::string_view) override { unused(); }
  std::vector<UserRecord> list_users(const UserListQuery&) override { unused(); }
  std::optional<BlockUserResult> set_user_blocked(const std::string&, bool, TimePoint) override { unused(); }
  std::size_t prune_refresh_tokens(TimePoint) override { unused(); }
  std::map<std::string, std::int64_t, std::less<>> count_events_by_bucket(std::string_view, TimePoint) override {
    unused();
  }
  void record_sent_sms(const SmsMessageRecord&) override { unused(); }
  std::vector<std::string> claim_sms_to_check(TimePoint, TimePoint, std::size_t, const std::string&) override {
    unused();
  }
  std::vector<SmsStatusApplied> apply_sms_statuses(const std::vector<SmsDeliveryStatus>&, TimePoint) override {
    unused();
  }
  SmsStatusApplied apply_sms_report(const std::string&, const SmsDeliveryStatus&, TimePoint) override { unused(); }
  std::vector<SmsMessageRecord> recent_sms(const std::string&, std::size_t) override { unused(); }
  std::size_t prune_sms(TimePoint, TimePoint) override { unused(); }

 private:
  Script& script_;
  int index_;
};

StorageBackend scripted(Script& script, StorageEngineOptions options = {}) {
  StorageBackend backend;
  backend.open_connection = [&script]() -> std::unique_ptr<Repository> {
    std::lock_guard lock(script.mutex);
    script.changed.notify_all();
    if (script.refuse_to_open || (script.opened > 0 && script.refusals_left > 0)) {
      if (!script.refuse_to_open) --script.refusals_left;
      ++script.refused;
      throw StorageUnavailable("scripted: database unreachable");
    }
    return std::make_unique<ScriptedConnection>(script, script.opened++);
  };
  options.name = "scripted";
  backend.options = std::move(options);
  return backend;
}

class StorageEngineTest : public ::testing::Test {
 protected:
  // spdlog's registry before any engine thread logs (ThreadSanitizer: see session_service_test.cpp).
  StorageEngineTest() { spdlog::default_logger(); }
  Script script_;
};

awaitable<std::thread::id> version_then_thread(StorageEngine* storage) {
  auto reading = storage->schema_version();
  (void)co_await std::move(reading);
  co_return std::this_thread::get_id();
}

TEST_F(StorageEngineTest, ACallRunsOnAnEngineThreadAndResumesTheCoroutineOnItsOwn) {
  StorageEngine storage(scripted(script_));
  EXPECT_EQ(storage.expected_schema_version(), 7);
  const auto resumed_on = run_to_completion(version_then_thread(&storage));
  EXPECT_EQ(resumed_on, std::this_thread::get_id());  // run_to_completion runs the io_context here
  std::lock_guard lock(script_.mutex);
  EXPECT_NE(script_.last_thread, std::this_thread::get_id());
  EXPECT_EQ(script_.last_connection, 0);
}

TEST_F(StorageEngineTest, ExceptionsCrossTheAwait) {
  StorageEngine storage(scripted(script_));
  script_.ping_failures = 1;
  EXPECT_THROW(run_to_completion(storage.ping()), StorageUnavailable);
  EXPECT_THROW(run_to_completion(storage.find_session("s")), std::logic_error);  // a bug stays a bug (500)
}

TEST_F(StorageEngineTest, AConnectionThatFailedIsOpenedAgainForTheNextCall) {
  StorageEngine storage(scripted(script_));
  EXPECT_EQ(script_.opened, 1);
  script_.ping_failures = 1;
  EXPECT_THROW(run_to_completion(storage.ping()), StorageUnavailable);
  EXPECT_EQ(run_to_completion(storage.schema_version()), 1);  // served by a new connection
  EXPECT_EQ(script_.opened, 2);
}

TEST_F(StorageEngineTest, WhileTheDatabaseCannotBeReachedCallsFailAndTheEngineRecoversLater) {
  StorageEngine storage(scripted(script_));
  script_.ping_failures = 1;
  EXPECT_THROW(run_to_completion(storage.ping()), StorageUnavailable);
  {
    std::lock_guard lock(script_.mutex);
    script_.refuse_to_open = true;
  }
  EXPECT_THROW(run_to_completion(storage.schema_version()), StorageUnavailable);
  EXPECT_THROW(run_to_completion(storage.schema_version()), StorageUnavailable);
  {
    std::lock_guard lock(script_.mutex);
    script_.refuse_to_open = false;
  }
  EXPECT_EQ(run_to_completion(storage.schema_version()), 1);
}

TEST_F(StorageEngineTest, AnUnreachableDatabaseStopsStartUp) {
  script_.refuse_to_open = true;
  EXPECT_THROW(StorageEngine{scripted(script_)}, StorageUnavailable);
}

TEST_F(StorageEngineTest, StartUpWaitsForOneConnectionAndTheOthersOpenOnTheirOwnThreads) {
  StorageEngineOptions options;
  options.connections = 3;
  StorageEngine storage(scripted(script_, options));
  std::unique_lock lock(script_.mutex);
  EXPECT_TRUE(script_.changed.wait_for(lock, std::chrono::seconds(30), [&] { return script_.opened == 3; }))
      << "opened " << script_.opened << " of 3 without a call";
}

TEST_F(StorageEngineTest, AConnectionThatCannotOpenAtStartUpDoesNotStopItAndOpensForALaterCall) {
  StorageEngineOptions options;
  options.connections = 2;
  // The second connection's opening on its thread is refused, once: a call it takes later opens it, whichever call
  // that is (the engine's own start-up calls included).
  script_.refusals_left = 1;
  StorageEngine storage(scripted(script_, options));
  {
    std::unique_lock lock(script_.mutex);
    ASSERT_TRUE(script_.changed.wait_for(lock, std::chrono::seconds(30), [&] { return script_.refused == 1; }));
  }
  for (int call = 0; call < 12; ++call) EXPECT_NO_THROW(run_to_completion(storage.ping()));
}

TEST_F(StorageEngineTest, AStalledDatabaseFailsTheCallAfterTheTimeoutInsteadOfHangingIt) {
  StorageEngineOptions options;
  options.call_timeout = std::chrono::milliseconds(50);
  StorageEngine storage(scripted(script_, options));
  script_.stall_pings = true;
  boost::asio::io_context io;
  std::promise<bool> refused;
  boost::asio::co_spawn(io, storage.ping(), [&refused](std::exception_ptr failure) {
    bool unavailable = false;
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const StorageUnavailable&) {
      unavailable = true;
    }
    refused.set_value(unavailable);
  });
  std::thread runner([&io] { io.run(); });
  EXPECT_TRUE(refused.get_future().get());  // answered while the database call itself still waits
  script_.release();
  runner.join();  // the io_context ran until the stalled call returned: its late answer had somewhere to go
  EXPECT_EQ(run_to_completion(storage.schema_version()), 0);  // the same connection goes on once it answers
}

TEST_F(StorageEngineTest, CallsBeyondTheQueueBoundAreRefusedAtOnce) {
  StorageEngineOptions options;
  options.max_queued = 1;
  options.call_timeout = std::chrono::minutes(10);  // never reached: the stall is released below
  StorageEngine storage(scripted(script_, options));
  script_.stall_pings = true;

  boost::asio::io_context io;
  std::mutex mutex;
  std::vector<std::string> outcomes;
  auto record = [&](const char* name) {
    return [&, name](std::exception_ptr failure) {
      std::lock_guard lock(mutex);
      outcomes.push_back(std::string(name) + (failure ? ":failed" : ":ok"));
    };
  };
  boost::asio::co_spawn(io, storage.ping(), record("running"));
  std::thread runner([&io] { io.run(); });
  script_.wait_for_stalled(1);  // the first call holds the only connection; the queue is empty
  // One I/O thread runs the spawned coroutines in order: the second call fills the queue before the third arrives.
  boost::asio::co_spawn(io, storage.ping(), record("queued"));
  std::promise<bool> refused;
  boost::asio::co_spawn(io, storage.ping(), [&refused](std::exception_ptr failure) { refused.set_value(!!failure); });
  EXPECT_TRUE(refused.get_future().get());  // answered while the other two still wait
  script_.release();
  runner.join();
  std::sort(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, (std::vector<std::string>{"queued:ok", "running:ok"}));
}

TEST_F(StorageEngineTest, ReadOnlyCallsUseTheReadConnectionsAndWritesTheMainOne) {
  StorageEngineOptions options;
  options.connections = 1;
  options.read_connections = 1;
  StorageEngine storage(scripted(script_, options));
  EXPECT_EQ(script_.opened, 2);
  EXPECT_EQ(run_to_completion(storage.schema_version()), 1);  // a read: the second connection opened
  run_to_completion(storage.migrate());
  std::lock_guard lock(script_.mutex);
  EXPECT_EQ(script_.last_connection, 0);
}

TEST_F(StorageEngineTest, RunBlockingReturnsTheResultOrRethrows) {
  StorageEngine storage(scripted(script_));
  EXPECT_EQ(storage.run_blocking([](Repository& connection) { return connection.schema_version(); }), 0);
  script_.ping_failures = 1;
  EXPECT_THROW(storage.run_blocking([](Repository& connection) { connection.ping(); }), StorageUnavailable);
}

// Holds the only connection with a stalled ping, queues `calls` behind it, then lets them all run: they reach the
// connection together. Returns "<name>:<value or failure>" per call, sorted.
std::vector<std::string> queued_together(StorageEngine& storage, Script& script, const std::vector<std::string>& calls,
                                         std::atomic<int>& answered) {
  script.stall_pings = true;
  boost::asio::io_context io;
  std::mutex mutex;
  std::vector<std::string> outcomes;
  boost::asio::co_spawn(io, storage.ping(), [](std::exception_ptr) {});
  std::thread runner([&io] { io.run(); });
  script.wait_for_stalled(1);
  for (const auto& name : calls) {
    auto record = [&, name](std::exception_ptr failure, auto value) {
      std::lock_guard lock(mutex);
      outcomes.push_back(name + ":" + (failure ? std::string("failed") : std::to_string(value)));
      ++answered;
    };
    if (name == "version") {
      boost::asio::co_spawn(io, storage.schema_version(), record);
    } else {  // a call the script does not know: a bug, thrown from inside the group
      boost::asio::co_spawn(io, storage.revoke_user_sessions("u", TimePoint{}, "test"), record);
    }
  }
  // One I/O thread runs the spawned coroutines in order: once this runs, every call above is queued.
  std::promise<void> queued;
  boost::asio::post(io, [&queued] { queued.set_value(); });
  queued.get_future().get();
  script.release();
  runner.join();
  std::sort(outcomes.begin(), outcomes.end());
  return outcomes;
}

StorageEngineOptions grouping(std::size_t max_group) {
  StorageEngineOptions options;
  options.max_group = max_group;
  return options;
}

TEST_F(StorageEngineTest, CallsQueuedTogetherShareOneTransactionAndAreAnsweredOnlyAfterItsCommit) {
  StorageEngine storage(scripted(script_, grouping(8)));
  std::atomic<int> answered{0};
  script_.answers = &answered;
  const auto outcomes = queued_together(storage, script_, std::vector<std::string>(5, "version"), answered);
  EXPECT_EQ(outcomes, std::vector<std::string>(5, "version:0"));
  EXPECT_EQ(script_.groups_begun, 1);
  EXPECT_EQ(script_.groups_committed, 1);
  EXPECT_EQ(script_.answered_at_last_commit, 0) << "a call was answered before its group committed";
  EXPECT_EQ(storage.group_commit_stats().calls_grouped, 5U);
}

TEST_F(StorageEngineTest, AGroupTakesAtMostMaxGroupCalls) {
  StorageEngine storage(scripted(script_, grouping(2)));
  std::atomic<int> answered{0};
  const auto outcomes = queued_together(storage, script_, std::vector<std::string>(5, "version"), answered);
  EXPECT_EQ(outcomes.size(), 5U);
  EXPECT_EQ(script_.groups_committed, 2);  // 2 + 2, and the fifth alone
  EXPECT_EQ(script_.versions_served, 5);
}

TEST_F(StorageEngineTest, WhenTheSharedCommitFailsEachCallRunsAgainAloneAndIsAnswered) {
  StorageEngine storage(scripted(script_, grouping(8)));
  script_.commit_failures = 1;
  std::atomic<int> answered{0};
  const auto outcomes = queued_together(storage, script_, std::vector<std::string>(4, "version"), answered);
  EXPECT_EQ(outcomes, std::vector<std::string>(4, "version:0"));
  EXPECT_EQ(script_.groups_rolled_back, 1);
  EXPECT_EQ(script_.versions_served, 8);  // once in the undone group, once alone
  EXPECT_EQ(storage.group_commit_stats().groups_undone, 1U);
}

TEST_F(StorageEngineTest, AnExceptionInAGroupReachesOnlyItsOwnCall) {
  StorageEngine storage(scripted(script_, grouping(8)));
  std::atomic<int> answered{0};
  const auto outcomes = queued_together(storage, script_, {"version", "bug", "version"}, answered);
  EXPECT_EQ(outcomes, (std::vector<std::string>{"bug:failed", "version:0", "version:0"}));
  EXPECT_EQ(script_.groups_committed, 1);
  EXPECT_EQ(script_.groups_rolled_back, 0);
}

TEST_F(StorageEngineTest, WithoutMaxGroupEveryCallCommitsAlone) {
  StorageEngine storage(scripted(script_));
  std::atomic<int> answered{0};
  const auto outcomes = queued_together(storage, script_, std::vector<std::string>(3, "version"), answered);
  EXPECT_EQ(outcomes.size(), 3U);
  EXPECT_EQ(script_.groups_begun, 0);
}

}  // namespace
}  // namespace sms_auth
