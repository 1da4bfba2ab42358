// Alert throttling: remembers until when each key stays quiet.
#include "ratelimit/alert_throttle.hpp"

#include <iterator>

namespace sms_auth {

AlertThrottle::AlertThrottle(std::size_t max_keys) : max_keys_(max_keys) {}

bool AlertThrottle::first_in_period(const std::string& key, TimePoint now, Milliseconds quiet_for) {
  std::lock_guard lock(mutex_);
  if (const auto it = quiet_until_.find(key); it != quiet_until_.end()) {
    if (now < it->second) return false;
    it->second = now + quiet_for;
    return true;
  }
  if (quiet_until_.size() >= max_keys_) {
    for (auto it = quiet_until_.begin(); it != quiet_until_.end();) {
      it = now >= it->second ? quiet_until_.erase(it) : std::next(it);
    }
    // Still full of live keys (thousands of ranges alerting at once): alert without remembering the key. Repeated
    // error lines in such a flood are better than a new alert that is never shown.
    if (quiet_until_.size() >= max_keys_) return true;
  }
  quiet_until_.emplace(key, now + quiet_for);
  return true;
}

}  // namespace sms_auth
