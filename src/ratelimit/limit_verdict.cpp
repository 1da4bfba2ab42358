// Limit verdicts from what an engine read: no I/O, no SQL.
#include "ratelimit/limit_verdict.hpp"

#include <algorithm>

namespace sms_auth {

TimePoint window_start(const WindowLimit& limit, TimePoint now) {
  return now - std::chrono::duration_cast<Milliseconds>(limit.window);
}

std::int64_t totals_slot(TimePoint at) { return to_unix_ms(at) / kTotalsSlot.count(); }

bool converts_enough(std::int64_t events, std::int64_t converted, double min_ratio) {
  return static_cast<double>(converted) >= min_ratio * static_cast<double>(events);
}

std::optional<LimitExceeded> limit_verdict(const WindowLimit& limit, const WindowReading& reading, TimePoint now) {
  if (!reading.filling_event) return std::nullopt;
  if (limit.conversion && converts_enough(reading.events, reading.converted, limit.conversion->min_ratio)) {
    return std::nullopt;
  }
  const TimePoint reopens_at = *reading.filling_event + std::chrono::duration_cast<Milliseconds>(limit.window);
  return LimitExceeded{limit.name, std::max(reopens_at - now, Milliseconds::zero()), limit.window};
}

std::vector<std::string> counted_buckets(const std::vector<WindowLimit>& limits) {
  std::vector<std::string> buckets;
  for (const auto& limit : limits) {
    if (limit.count) buckets.push_back(limit.bucket);
  }
  return buckets;
}

}  // namespace sms_auth
