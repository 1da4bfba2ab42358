// One operator alert per key and quiet period, instead of one per refused request: a cap that is hit stays hit, and
// an error log line per refusal would bury everything else.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace sms_auth {

// Per process and thread-safe. Keys are few (a cap name, a number range); the map is bounded all the same.
class AlertThrottle {
 public:
  explicit AlertThrottle(std::size_t max_keys = 10000);

  // True if `key` has not alerted within the last `quiet_for` (and starts its quiet period at `now`).
  bool first_in_period(const std::string& key, TimePoint now, Milliseconds quiet_for);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, TimePoint> quiet_until_;
  std::size_t max_keys_;
};

}  // namespace sms_auth
