// The one test clock: time that moves only when a test moves it.
#pragma once

#include <chrono>

#include "core/clock.hpp"

namespace sms_auth {

class ManualClock final : public TimeSource {
 public:
  explicit ManualClock(TimePoint start = from_unix_ms(1'700'000'000'000)) : now_(start) {}

  TimePoint now() const override { return now_; }
  void advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  TimePoint now_;
};

}  // namespace sms_auth
