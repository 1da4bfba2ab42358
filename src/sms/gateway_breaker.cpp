// The per-gateway circuit breaker's state machine.
#include "sms/gateway_breaker.hpp"

namespace sms_auth {

GatewayBreaker::GatewayBreaker(int failures_to_open, std::chrono::seconds pause, const TimeSource& clock)
    : failures_to_open_(failures_to_open < 1 ? 1 : failures_to_open), pause_(pause), clock_(clock) {}

bool GatewayBreaker::allow() {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::closed) return true;
  if (state_ == BreakerState::open) {
    if (clock_.now() < reopens_at_) return false;
    state_ = BreakerState::half_open;
  }
  if (probe_in_flight_) return false;
  probe_in_flight_ = true;
  return true;
}

void GatewayBreaker::record_success() {
  std::lock_guard lock(mutex_);
  state_ = BreakerState::closed;
  consecutive_outages_ = 0;
  probe_in_flight_ = false;
}

void GatewayBreaker::record_outage() {
  std::lock_guard lock(mutex_);
  ++consecutive_outages_;
  if (state_ == BreakerState::half_open || consecutive_outages_ >= failures_to_open_) {
    state_ = BreakerState::open;
    reopens_at_ = clock_.now() + pause_;
  }
  probe_in_flight_ = false;
}

BreakerState GatewayBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

TimePoint GatewayBreaker::reopens_at() const {
  std::lock_guard lock(mutex_);
  return reopens_at_;
}

const char* breaker_state_name(BreakerState state) {
  switch (state) {
    case BreakerState::closed: return "closed";
    case BreakerState::open: return "open";
    case BreakerState::half_open: return "half_open";
  }
  return "closed";
}

}  // namespace sms_auth
