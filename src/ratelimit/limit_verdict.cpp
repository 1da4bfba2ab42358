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

bool range_converts(std::int64_t sent, std::int64_t verified, double min_ratio) {
  return verified > 0 && converts_enough(sent, verified, min_ratio);
}

bool country_converts(std::int64_t sent, std::int64_t verified, double min_ratio, int min_samples) {
  return sent < min_samples || converts_enough(sent, verified, min_ratio);
}

bool exempt_from_budget(const BudgetExemption& exemption, const WindowReading& reading) {
  if (reading.returning_user) return true;
  return range_converts(reading.range_sent, reading.range_verified, exemption.min_ratio) &&
         country_converts(reading.country_sent, reading.country_verified, exemption.min_ratio,
                          exemption.min_samples);
}

std::optional<LimitExceeded> limit_verdict(const WindowLimit& limit, const WindowReading& reading, TimePoint now) {
  if (!reading.filling_event) return std::nullopt;
  if (limit.unverified && exempt_from_budget(*limit.unverified, reading)) return std::nullopt;
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
