// One type for the server's background work: a round of work every period, on a strand of its own, until stopped.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "core/async.hpp"

namespace sms_auth {

struct PeriodicSchedule {
  std::chrono::steady_clock::duration period;
  bool first_round_at_start = false;  // else the first round comes one period after start()
};

class PeriodicTask {
 public:
  // `round` starts one round of the work. A round that throws is logged under `name` and the next one still comes:
  // a database that is down now may be back by then.
  using Round = std::function<awaitable<void>()>;

  PeriodicTask(boost::asio::io_context& io, std::string name, PeriodicSchedule schedule, Round round);
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void start();
  // From any thread: the loop ends at its next wait; a round in flight ends by its own deadline.
  void stop();

 private:
  awaitable<void> loop();
  awaitable<bool> sleep();  // false when stopped

  const std::string name_;
  const PeriodicSchedule schedule_;
  const Round round_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sms_auth
