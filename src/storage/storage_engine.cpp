// The engine's queues, threads and the hand-over of results to the awaiting coroutine's executor.
#include "storage/storage_engine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "core/thread_name.hpp"

namespace sms_auth {

namespace asio = boost::asio;

namespace {

// A call waiting for, or running on, a connection.
class Job {
 public:
  virtual ~Job() = default;
  // Runs the call on `connection` and keeps its outcome for deliver(); running it again replaces the outcome. False
  // when the call threw StorageUnavailable: the connection may be broken and is opened again for the next call.
  virtual bool execute(Repository& connection) = 0;
  // Hands the kept outcome over: only once the transaction it ran in has committed (or was its own).
  virtual void deliver() = 0;
  // Hands `failure` over without running the call.
  virtual void fail(std::exception_ptr failure) = 0;
  // May share a transaction with the calls queued beside it (GroupCommit).
  virtual bool groupable() const = 0;

  bool run(Repository& connection) {
    const bool healthy = execute(connection);
    deliver();
    return healthy;
  }
};

struct Done {};  // the result of a call that returns nothing

// Runs `work`, keeping what it threw in `failure`. False when that was StorageUnavailable: the connection may be
// broken and is opened again for the next call.
template <class Work>
bool run_keeping_failure(Work&& work, std::exception_ptr& failure) {
  failure = nullptr;
  try {
    work();
  } catch (const StorageUnavailable&) {
    failure = std::current_exception();
    return false;
  } catch (...) {
    failure = std::current_exception();
  }
  return true;
}

}  // namespace

// One queue and the threads that serve it, each owning a connection.
class ConnectionPool {
 public:
  ConnectionPool(std::string name, int threads, const ConnectionFactory& open_connection, std::size_t max_queued,
                 std::size_t max_group = 1)
      : name_(std::move(name)),
        open_connection_(open_connection),
        max_queued_(max_queued),
        max_group_(std::max<std::size_t>(max_group, 1)) {
    // The first connection is opened here, so that a database that cannot be reached stops start-up (throws). The
    // others open on their own threads meanwhile: a PostgreSQL connection is a handshake, an authentication and a new
    // backend, tens of milliseconds each on a busy machine, which waited for one after the other were most of the
    // start-up time. One that fails there is opened again for its thread's first call, like any lost connection.
    auto first = open_connection_();
    threads_.emplace_back([this, c = std::move(first)]() mutable { run_thread(std::move(c)); });
    for (int i = 1; i < threads; ++i) threads_.emplace_back([this] { run_thread(nullptr); });
  }

  ~ConnectionPool() { stop(); }

  // False when the queue is full or the pool is stopping: the caller fails the job.
  bool submit(std::unique_ptr<Job>& job) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(job));
    }
    ready_.notify_one();
    return true;
  }

  void stop() {
    std::deque<std::unique_ptr<Job>> abandoned;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      abandoned.swap(queue_);
    }
    ready_.notify_all();
    for (auto& job : abandoned) {
      job->fail(std::make_exception_ptr(StorageUnavailable("the storage engine is stopping")));
    }
    for (auto& thread : threads_) thread.join();
  }

  const std::string& name() const { return name_; }

  GroupCommitStats group_commit_stats() const {
    GroupCommitStats stats;
    stats.groups_committed = groups_committed_.load();
    stats.calls_grouped = calls_grouped_.load();
    stats.groups_undone = groups_undone_.load();
    return stats;
  }

 private:
  std::unique_ptr<Repository> open_on_this_thread() {
    try {
      return open_connection_();
    } catch (const std::exception& e) {
      spdlog::warn("storage.connect_failed engine={}: {} (opened again for the next call)", name_, e.what());
      return nullptr;
    }
  }

  // A pool thread: named for top -H and perf (db:<engine>), then serving with `first`, or a connection of its own.
  void run_thread(std::unique_ptr<Repository> first) {
    name_this_thread("db:" + name_);
    serve(first ? std::move(first) : open_on_this_thread());
  }

  void serve(std::unique_ptr<Repository> connection) {
    for (;;) {
      std::vector<std::unique_ptr<Job>> batch;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        // Whatever queued up while the last transaction committed goes into the next one together.
        while (batch.front()->groupable() && batch.size() < max_group_ && !queue_.empty() &&
               queue_.front()->groupable()) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (batch.size() > 1 && connection) {
        auto* group = dynamic_cast<GroupCommit*>(connection.get());
        if (group && run_group(*group, *connection, batch)) continue;
      }
      for (auto& job : batch) run_alone(connection, *job);
    }
  }

  void run_alone(std::unique_ptr<Repository>& connection, Job& job) {
    if (!connection) {
      try {
        connection = open_connection_();
        spdlog::info("storage.reconnected engine={}", name_);
      } catch (...) {
        job.fail(std::current_exception());
        return;
      }
    }
    if (!job.run(*connection)) connection.reset();
  }

  // Runs `batch` in one transaction, each call in its own savepoint, and answers every call after the one commit.
  // False when the transaction was undone instead (a call found the connection broken, the database ended the
  // transaction, or the commit failed): nothing of it is kept and no call was answered, so each runs again alone and
  // one call's trouble is only its own.
  bool run_group(GroupCommit& group, Repository& connection, std::vector<std::unique_ptr<Job>>& batch) {
    try {
      group.begin_group();
      bool intact = true;
      for (auto& job : batch) {
        if (!job->execute(connection) || !group.group_is_open()) {
          intact = false;
          break;
        }
      }
      if (intact) {
        group.commit_group();
        groups_committed_.fetch_add(1, std::memory_order_relaxed);
        calls_grouped_.fetch_add(batch.size(), std::memory_order_relaxed);
        for (auto& job : batch) job->deliver();
        return true;
      }
    } catch (const std::exception& e) {
      spdlog::warn("storage.group_failed engine={} calls={}: {}", name_, batch.size(), e.what());
    }
    group.rollback_group();
    groups_undone_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("storage.group_undone engine={} calls={}: each call runs again in its own transaction", name_,
                 batch.size());
    return false;
  }

  const std::string name_;
  const ConnectionFactory& open_connection_;
  const std::size_t max_queued_;
  const std::size_t max_group_;
  std::atomic<std::uint64_t> groups_committed_{0};
  std::atomic<std::uint64_t> calls_grouped_{0};
  std::atomic<std::uint64_t> groups_undone_{0};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Job>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class StorageEngine::Engine {
 public:
  explicit Engine(StorageBackend backend)
      : backend_(std::move(backend)),
        main_(backend_.options.name, std::max(backend_.options.connections, 1), backend_.open_connection,
              backend_.options.max_queued, backend_.options.max_group) {
    if (backend_.options.read_connections > 0) {
      reads_.emplace(backend_.options.name + "-read", backend_.options.read_connections, backend_.open_connection,
                     backend_.options.max_queued);
    }
  }

  const StorageEngineOptions& options() const { return backend_.options; }
  GroupCommitStats group_commit_stats() const { return main_.group_commit_stats(); }

  // Queues `job`, or fails it at once when its queue is full.
  void submit(Access access, std::unique_ptr<Job> job, const char* what) {
    ConnectionPool& pool = access == Access::read && reads_ ? *reads_ : main_;
    if (pool.submit(job)) return;
    spdlog::warn("storage.refused engine={} call={}: the queue is full or the engine is stopping", pool.name(), what);
    job->fail(std::make_exception_ptr(StorageUnavailable("no database connection can take the call now")));
  }

  void stop() {
    if (reads_) reads_->stop();
    main_.stop();
  }

 private:
  StorageBackend backend_;
  ConnectionPool main_;
  std::optional<ConnectionPool> reads_;
};

namespace {

// What the worker thread and the timeout share about one awaited call. Whoever answers first (the result, or the
// timeout) resumes the coroutine; the other finds `answered` set and does nothing.
template <class T, class Handler>
struct PendingCall {
  PendingCall(Handler h, asio::any_io_executor ex) : handler(std::move(h)), executor(std::move(ex)), timer(executor) {}

  std::atomic<bool> answered{false};
  std::optional<Handler> handler;
  // The awaiting coroutine's executor, tracked so that its io_context keeps running until the database call returns,
  // even after a timeout answered the coroutine: the late result must still have an executor to be posted to.
  asio::any_io_executor executor;
  asio::steady_timer timer;

  // On `executor`.
  void answer(std::exception_ptr failure, std::optional<T> value) {
    if (answered.exchange(true)) return;
    timer.cancel();
    Handler resume = std::move(*handler);
    handler.reset();
    resume(std::move(failure), std::move(value));
  }
};

template <class T, class Work, class Handler>
class AwaitedJob final : public Job {
 public:
  AwaitedJob(Work work, std::shared_ptr<PendingCall<T, Handler>> call, bool groupable)
      : work_(std::move(work)), call_(std::move(call)), groupable_(groupable) {}

  bool execute(Repository& connection) override {
    failure_ = nullptr;
    value_.reset();
    if (call_->answered.load()) return true;  // timed out while queued: the caller has its answer
    return run_keeping_failure([&] { value_.emplace(work_(connection)); }, failure_);
  }

  void deliver() override { hand_over(std::move(failure_), std::move(value_)); }
  void fail(std::exception_ptr failure) override { hand_over(std::move(failure), std::nullopt); }
  bool groupable() const override { return groupable_; }

 private:
  void hand_over(std::exception_ptr failure, std::optional<T> value) {
    if (!failure && !value) return;  // not run: answered by the timeout already
    auto call = call_;
    asio::post(call->executor, [call, failure = std::move(failure), value = std::move(value)]() mutable {
      call->answer(std::move(failure), std::move(value));
    });
  }

  Work work_;
  std::shared_ptr<PendingCall<T, Handler>> call_;
  const bool groupable_;
  std::exception_ptr failure_;
  std::optional<T> value_;
};

// `groupable`: false for calls that must have a transaction of their own (migrations).
template <class T, class Work>
awaitable<T> call(StorageEngine::Engine* engine, const char* what, StorageEngine::Access access, Work work,
                  bool groupable = true) {
  auto initiation = [engine, what, access, groupable](auto handler, Work task) {
    using Handler = decltype(handler);
    auto executor = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
    auto pending = std::make_shared<PendingCall<T, Handler>>(std::move(handler), executor);
    const auto timeout = engine->options().call_timeout;
    pending->timer.expires_after(timeout);
    pending->timer.async_wait([pending, what, timeout, name = engine->options().name](boost::system::error_code ec) {
      if (ec || pending->answered.load()) return;  // answered in time
      spdlog::warn("storage.timeout engine={} call={}: no answer within {} ms", name, what, timeout.count());
      pending->answer(std::make_exception_ptr(StorageUnavailable("the database did not answer in time")),
                      std::nullopt);
    });
    engine->submit(access, std::make_unique<AwaitedJob<T, Work, Handler>>(std::move(task), pending, groupable), what);
  };
  auto answered = asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, std::optional<T>)>(
      std::move(initiation), asio::use_awaitable, std::move(work));
  std::optional<T> value = co_await std::move(answered);
  co_return std::move(*value);
}

template <class Work>
awaitable<void> call_void(StorageEngine::Engine* engine, const char* what, StorageEngine::Access access, Work work,
                          bool groupable = true) {
  auto wrapped = [work = std::move(work)](Repository& connection) mutable {
    work(connection);
    return Done{};
  };
  auto calling = call<Done>(engine, what, access, std::move(wrapped), groupable);
  (void)co_await std::move(calling);
}

// The blocking form: a promise instead of a coroutine.
class BlockingJob final : public Job {
 public:
  explicit BlockingJob(const std::function<void(Repository&)>& work) : work_(work) {}

  bool execute(Repository& connection) override {
    return run_keeping_failure([&] { work_(connection); }, failure_);
  }
  void deliver() override {
    if (failure_) {
      done_.set_exception(failure_);
    } else {
      done_.set_value();
    }
  }
  void fail(std::exception_ptr failure) override { done_.set_exception(std::move(failure)); }
  bool groupable() const override { return false; }  // the CLI and start-up: alone, with nothing to share

  std::future<void> future() { return done_.get_future(); }

 private:
  const std::function<void(Repository&)>& work_;
  std::promise<void> done_;
  std::exception_ptr failure_;
};

}  // namespace

StorageEngine::StorageEngine(StorageBackend backend) : engine_(std::make_unique<Engine>(std::move(backend))) {
  expected_schema_version_ = run_blocking([](Repository& connection) { return connection.expected_schema_version(); });
}

StorageEngine::~StorageEngine() { engine_->stop(); }

const StorageEngineOptions& StorageEngine::options() const { return engine_->options(); }

GroupCommitStats StorageEngine::group_commit_stats() const {
  return engine_->group_commit_stats();
}

void StorageEngine::run_blocking_job(const std::function<void(Repository&)>& work) {
  auto job = std::make_unique<BlockingJob>(work);
  auto done = job->future();
  engine_->submit(Access::write, std::move(job), "blocking");
  done.get();
}

int StorageEngine::expected_schema_version() const { return expected_schema_version_; }

awaitable<void> StorageEngine::migrate() {
  return call_void(
      engine_.get(), "migrate", Access::write, [](Repository& db) { db.migrate(); }, /*groupable=*/false);
}

awaitable<int> StorageEngine::schema_version() {
  return call<int>(engine_.get(), "schema_version", Access::read, [](Repository& db) { return db.schema_version(); });
}

awaitable<void> StorageEngine::ping() {
  return call_void(engine_.get(), "ping", Access::read, [](Repository& db) { db.ping(); });
}

awaitable<result<IssuedCode, LimitExceeded>> StorageEngine::issue_code(IssueCodeRequest request) {
  return call<result<IssuedCode, LimitExceeded>>(
      engine_.get(), "issue_code", Access::write,
      [request = std::move(request)](Repository& db) { return db.issue_code(request); });
}

awaitable<void> StorageEngine::cancel_issue(std::string phone_number, std::string challenge_id,
                                            std::string reservation_id, bool remove_code,
                                            std::vector<std::string> keep_buckets) {
  return call_void(engine_.get(), "cancel_issue", Access::write,
                   [phone_number = std::move(phone_number), challenge_id = std::move(challenge_id),
                    reservation_id = std::move(reservation_id), remove_code,
                    keep_buckets = std::move(keep_buckets)](Repository& db) {
                     db.cancel_issue(phone_number, challenge_id, reservation_id, remove_code, keep_buckets);
                   });
}

awaitable<void> StorageEngine::mark_delivery_uncertain(std::string phone_number, std::string challenge_id,
                                                       bool uncertain) {
  return call_void(engine_.get(), "mark_delivery_uncertain", Access::write,
                   [phone_number = std::move(phone_number), challenge_id = std::move(challenge_id),
                    uncertain](Repository& db) { db.mark_delivery_uncertain(phone_number, challenge_id, uncertain); });
}

awaitable<VerifyCodeResult> StorageEngine::verify_code(VerifyCodeRequest request) {
  return call<VerifyCodeResult>(engine_.get(), "verify_code", Access::write,
                                [request = std::move(request)](Repository& db) { return db.verify_code(request); });
}

awaitable<std::optional<UserRecord>> StorageEngine::find_user_by_id(std::string user_id) {
  return call<std::optional<UserRecord>>(engine_.get(), "find_user_by_id", Access::read,
                                         [user_id = std::move(user_id)](Repository& db) {
                                           return db.find_user_by_id(user_id);
                                         });
}

awaitable<std::optional<UserRecord>> StorageEngine::find_user_by_phone(std::string phone_number) {
  return call<std::optional<UserRecord>>(engine_.get(), "find_user_by_phone", Access::read,
                                         [phone_number = std::move(phone_number)](Repository& db) {
                                           return db.find_user_by_phone(phone_number);
                                         });
}

awaitable<std::size_t> StorageEngine::prune(TimePoint now, std::chrono::seconds longest_window) {
  return call<std::size_t>(engine_.get(), "prune", Access::write,
                           [now, longest_window](Repository& db) { return db.prune(now, longest_window); });
}

awaitable<RotateRefreshTokenResult> StorageEngine::rotate_refresh_token(RotateRefreshTokenRequest request) {
  return call<RotateRefreshTokenResult>(
      engine_.get(), "rotate_refresh_token", Access::write,
      [request = std::move(request)](Repository& db) { return db.rotate_refresh_token(request); });
}

awaitable<std::optional<SessionRecord>> StorageEngine::find_session(std::string session_id) {
  return call<std::optional<SessionRecord>>(engine_.get(), "find_session", Access::read,
                                            [session_id = std::move(session_id)](Repository& db) {
                                              return db.find_session(session_id);
                                            });
}

awaitable<std::vector<SessionRecord>> StorageEngine::list_sessions(SessionListQuery query) {
  return call<std::vector<SessionRecord>>(engine_.get(), "list_sessions", Access::read,
                                          [query = std::move(query)](Repository& db) {
                                            return db.list_sessions(query);
                                          });
}

awaitable<bool> StorageEngine::revoke_session(std::string user_id, std::string session_id, TimePoint now,
                                              std::string reason) {
  return call<bool>(engine_.get(), "revoke_session", Access::write,
                    [user_id = std::move(user_id), session_id = std::move(session_id), now,
                     reason = std::move(reason)](Repository& db) {
                      return db.revoke_session(user_id, session_id, now, reason);
                    });
}

awaitable<int> StorageEngine::revoke_user_sessions(std::string user_id, TimePoint now, std::string reason) {
  return call<int>(engine_.get(), "revoke_user_sessions", Access::write,
                   [user_id = std::move(user_id), now, reason = std::move(reason)](Repository& db) {
                     return db.revoke_user_sessions(user_id, now, reason);
                   });
}

awaitable<std::vector<UserRecord>> StorageEngine::list_users(UserListQuery query) {
  return call<std::vector<UserRecord>>(engine_.get(), "list_users", Access::read,
                                       [query](Repository& db) { return db.list_users(query); });
}

awaitable<std::optional<BlockUserResult>> StorageEngine::set_user_blocked(std::string user_id, bool blocked,
                                                                          TimePoint now) {
  return call<std::optional<BlockUserResult>>(engine_.get(), "set_user_blocked", Access::write,
                                              [user_id = std::move(user_id), blocked, now](Repository& db) {
                                                return db.set_user_blocked(user_id, blocked, now);
                                              });
}

awaitable<std::size_t> StorageEngine::prune_refresh_tokens(TimePoint ended_before) {
  return call<std::size_t>(engine_.get(), "prune_refresh_tokens", Access::write,
                           [ended_before](Repository& db) { return db.prune_refresh_tokens(ended_before); });
}

awaitable<std::map<std::string, std::int64_t, std::less<>>> StorageEngine::count_events_by_bucket(
    std::string bucket_prefix, TimePoint since) {
  return call<std::map<std::string, std::int64_t, std::less<>>>(
      engine_.get(), "count_events_by_bucket", Access::read,
      [bucket_prefix = std::move(bucket_prefix), since](Repository& db) {
        return db.count_events_by_bucket(bucket_prefix, since);
      });
}

awaitable<void> StorageEngine::record_sent_sms(SmsMessageRecord record) {
  return call_void(engine_.get(), "record_sent_sms", Access::write,
                   [record = std::move(record)](Repository& db) { db.record_sent_sms(record); });
}

awaitable<std::vector<std::string>> StorageEngine::claim_sms_to_check(TimePoint now, TimePoint sent_after,
                                                                      std::size_t limit, std::string gateway) {
  return call<std::vector<std::string>>(engine_.get(), "claim_sms_to_check", Access::write,
                                        [now, sent_after, limit, gateway = std::move(gateway)](Repository& db) {
                                          return db.claim_sms_to_check(now, sent_after, limit, gateway);
                                        });
}

awaitable<std::vector<SmsStatusApplied>> StorageEngine::apply_sms_statuses(std::vector<SmsDeliveryStatus> updates,
                                                                           TimePoint now) {
  return call<std::vector<SmsStatusApplied>>(engine_.get(), "apply_sms_statuses", Access::write,
                                             [updates = std::move(updates), now](Repository& db) {
                                               return db.apply_sms_statuses(updates, now);
                                             });
}

awaitable<SmsStatusApplied> StorageEngine::apply_sms_report(std::string event_id, SmsDeliveryStatus update,
                                                            TimePoint now) {
  return call<SmsStatusApplied>(engine_.get(), "apply_sms_report", Access::write,
                                [event_id = std::move(event_id), update = std::move(update), now](Repository& db) {
                                  return db.apply_sms_report(event_id, update, now);
                                });
}

awaitable<std::vector<SmsMessageRecord>> StorageEngine::recent_sms(std::string phone_number, std::size_t limit) {
  return call<std::vector<SmsMessageRecord>>(engine_.get(), "recent_sms", Access::read,
                                             [phone_number = std::move(phone_number), limit](Repository& db) {
                                               return db.recent_sms(phone_number, limit);
                                             });
}

awaitable<std::size_t> StorageEngine::prune_sms(TimePoint messages_before, TimePoint events_before) {
  return call<std::size_t>(engine_.get(), "prune_sms", Access::write,
                           [messages_before, events_before](Repository& db) {
                             return db.prune_sms(messages_before, events_before);
                           });
}

}  // namespace sms_auth
