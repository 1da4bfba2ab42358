// The loop of a periodic task: sleep, run a round, log its failure, go on until stopped.
#include "app/periodic_task.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sms_auth {

namespace asio = boost::asio;

PeriodicTask::PeriodicTask(asio::io_context& io, std::string name, PeriodicSchedule schedule, Round round)
    : name_(std::move(name)),
      schedule_(schedule),
      round_(std::move(round)),
      strand_(asio::make_strand(io)),
      timer_(strand_) {}

void PeriodicTask::start() {
  asio::co_spawn(strand_, loop(), LogFailure{name_.c_str()});
}

void PeriodicTask::stop() {
  stopping_.store(true);
  // The timer is not thread-safe: cancel it on the strand the loop runs on.
  asio::post(strand_, [this] { timer_.cancel(); });
}

awaitable<bool> PeriodicTask::sleep() {
  if (stopping_.load()) co_return false;
  timer_.expires_after(schedule_.period);
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && !stopping_.load();
}

awaitable<void> PeriodicTask::loop() {
  for (bool first = true;; first = false) {
    if (!first || !schedule_.first_round_at_start) {
      auto sleeping = sleep();  // named (core/async.hpp)
      if (!co_await std::move(sleeping)) co_return;
    }
    try {
      auto round = round_();
      co_await std::move(round);
    } catch (const std::exception& e) {
      spdlog::error("{} failed: {}", name_, e.what());
    }
  }
}

}  // namespace sms_auth
