// The server's SMS background work: refresh the balance gauge (and warn when low), poll delivery statuses, forget old
// messages. Runs on the server's io_context and stops on SIGTERM.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "auth/sms_delivery.hpp"

namespace sms_auth {

struct SmsBackgroundSchedule {
  std::chrono::seconds poll_every{60};
  std::chrono::seconds balance_every{300};
};

class SmsBackgroundJobs {
 public:
  SmsBackgroundJobs(boost::asio::io_context& io, SmsDelivery& delivery, SmsBackgroundSchedule schedule);
  ~SmsBackgroundJobs();
  SmsBackgroundJobs(const SmsBackgroundJobs&) = delete;
  SmsBackgroundJobs& operator=(const SmsBackgroundJobs&) = delete;

  // Starts the loops (nothing to do without a gateway: test mode only prunes).
  void start();
  // From any thread: the loops end at their next wait. A Mobizon call in flight ends by its own deadline
  // (MOBIZON_TIMEOUT_MS).
  void stop();

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  awaitable<void> balance_loop();
  awaitable<void> poll_loop();
  // Sleeps on `timer`; false when stopped.
  awaitable<bool> sleep(boost::asio::steady_timer& timer, std::chrono::seconds duration);

  SmsDelivery& delivery_;
  SmsBackgroundSchedule schedule_;
  Strand strand_;
  boost::asio::steady_timer balance_timer_;
  boost::asio::steady_timer poll_timer_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sms_auth
