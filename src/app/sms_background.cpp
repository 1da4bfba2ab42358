// Periodic SMS jobs on a strand of their own; every failure is logged and the loop goes on.
#include "app/sms_background.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sms_auth {

namespace asio = boost::asio;

SmsBackgroundJobs::SmsBackgroundJobs(asio::io_context& io, SmsDelivery& delivery, SmsBackgroundSchedule schedule)
    : delivery_(delivery),
      schedule_(schedule),
      strand_(asio::make_strand(io)),
      balance_timer_(strand_),
      poll_timer_(strand_) {}

SmsBackgroundJobs::~SmsBackgroundJobs() = default;

void SmsBackgroundJobs::start() {
  if (!delivery_.has_gateway()) return;
  asio::co_spawn(strand_, balance_loop(), LogFailure{"sms.balance"});
  asio::co_spawn(strand_, poll_loop(), LogFailure{"sms.poll"});
}

void SmsBackgroundJobs::stop() {
  stopping_.store(true);
  // Timers are not thread-safe: cancel them on the strand the loops run on.
  asio::post(strand_, [this] {
    balance_timer_.cancel();
    poll_timer_.cancel();
  });
}

awaitable<bool> SmsBackgroundJobs::sleep(asio::steady_timer& timer, std::chrono::seconds duration) {
  if (stopping_.load()) co_return false;
  timer.expires_after(duration);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && !stopping_.load();
}

awaitable<void> SmsBackgroundJobs::balance_loop() {
  // At start-up first: a wrong key, a missing IP whitelist entry or an empty balance shows in the log at once, not at
  // the first user's SMS.
  for (;;) {
    auto checking = delivery_.check_balance();  // named: GCC PR 100611; failures are logged by the gateway
    (void)co_await std::move(checking);
    try {
      auto pruning = delivery_.prune();  // named: GCC PR 100611
      const auto removed = co_await std::move(pruning);
      if (removed > 0) spdlog::debug("sms.prune removed={}", removed);
    } catch (const std::exception& e) {
      spdlog::error("sms.prune failed: {}", e.what());
    }
    auto sleeping = sleep(balance_timer_, schedule_.balance_every);
    if (!co_await std::move(sleeping)) co_return;
  }
}

awaitable<void> SmsBackgroundJobs::poll_loop() {
  for (;;) {
    auto sleeping = sleep(poll_timer_, schedule_.poll_every);
    if (!co_await std::move(sleeping)) co_return;
    try {
      auto polling = delivery_.poll_statuses();  // named: GCC PR 100611; gateway failures are logged by the gateway
      (void)co_await std::move(polling);
    } catch (const std::exception& e) {
      spdlog::error("sms.poll failed: {}", e.what());  // e.g. the database is down: try again next round
    }
  }
}

}  // namespace sms_auth
