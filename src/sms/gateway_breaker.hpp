// A circuit breaker for one SMS gateway: after N consecutive outages it skips the gateway for a pause, then lets one
// probe through; the probe's outcome closes it again or restarts the pause.
#pragma once

#include <chrono>
#include <mutex>

#include "core/clock.hpp"

namespace sms_auth {

enum class BreakerState { closed, open, half_open };

// Thread-safe.
class GatewayBreaker {
 public:
  GatewayBreaker(int failures_to_open, std::chrono::seconds pause, const TimeSource& clock);

  // Whether a send may use the gateway now. Closed: yes. Open: no, until the pause is over; then yes for exactly one
  // caller (the probe), and no for the others until that probe reports.
  bool allow();
  // The gateway answered: it sent the SMS, or refused the number (which is no outage). Closes the breaker.
  void record_success();
  // Timeout, network, TLS, 5xx, "not now" codes: counts towards opening; a failed probe reopens at once.
  void record_outage();

  BreakerState state() const;
  // When an open breaker lets its probe through (meaningful while open).
  TimePoint reopens_at() const;

 private:
  const int failures_to_open_;
  const std::chrono::milliseconds pause_;
  const TimeSource& clock_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::closed;
  int consecutive_outages_ = 0;
  TimePoint reopens_at_{};
  bool probe_in_flight_ = false;
};

const char* breaker_state_name(BreakerState state);

}  // namespace sms_auth
