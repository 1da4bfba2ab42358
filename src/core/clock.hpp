// Time as the service sees it: one clock type, injectable so that domain tests can move time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sms_auth {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;
using Seconds = std::chrono::seconds;
using Milliseconds = std::chrono::milliseconds;

// The source of "now" for the domain; the system clock in production, a settable one in tests.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual TimePoint now() const = 0;
};

class SystemTimeSource final : public TimeSource {
 public:
  TimePoint now() const override { return std::chrono::time_point_cast<Milliseconds>(Clock::now()); }
};

inline std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline std::int64_t to_unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_ms(std::int64_t ms) { return TimePoint{Milliseconds{ms}}; }

// Whole seconds to wait, rounded up and at least 1: the form Retry-After needs.
inline std::int64_t ceil_seconds(Milliseconds d) {
  const auto s = (d.count() + 999) / 1000;
  return s < 1 ? 1 : s;
}

// RFC 3339 UTC with seconds, e.g. 2026-11-25T10:00:00Z: the form API responses use for times.
std::string format_rfc3339(TimePoint t);

}  // namespace sms_auth
