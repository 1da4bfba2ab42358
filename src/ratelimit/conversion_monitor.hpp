// The per-country conversion watch: SMS sent vs. codes verified per country over FRAUD_WINDOW_SECONDS, read from the
// shared database (every instance's traffic), as metrics and an error log when a country stops converting.
//
// Countries are watched, not blocked: refusing a whole country would let anyone switch off login for all its real
// users. Number ranges (prefixes) are blocked, atomically at send time (LimitPolicy's conversion_prefix limit);
// the unverified-SMS budget (LimitPolicy's unverified_budget) bounds what pumping across many ranges can spend.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/async.hpp"
#include "metrics/metrics.hpp"
#include "ratelimit/alert_throttle.hpp"
#include "storage/stores.hpp"

namespace sms_auth {

struct CountryConversion {
  std::string region;
  std::int64_t sent = 0;
  std::int64_t verified = 0;
  bool low = false;  // at least FRAUD_MIN_SAMPLES sent and under FRAUD_MIN_CONVERSION verified
};

struct ConversionReport {
  std::vector<CountryConversion> countries;  // by region
  std::int64_t blocked_prefixes = 0;         // number ranges the conversion_prefix limit refuses now
};

// Not thread-safe: one caller at a time (serve's timer).
class ConversionMonitor {
 public:
  // `alerts_total` is the alert counter shared with the send-time alerts (label limit="conversion_country").
  ConversionMonitor(const LimitSettings& settings, AsyncLimitStatistics& storage, MetricsRegistry& metrics,
                    Family<Counter>& alerts_total);

  // Reads the window ending at `now`, updates the gauges, and logs an error for each country under the minimum
  // conversion (once per country and window, per instance). Throws StorageUnavailable.
  awaitable<ConversionReport> check(TimePoint now);

 private:
  const LimitSettings& settings_;
  AsyncLimitStatistics& storage_;
  Family<Gauge>& sent_;
  Family<Gauge>& verified_;
  Family<Gauge>& ratio_;
  Family<Gauge>& blocked_prefixes_;
  Family<Counter>& alerts_total_;
  AlertThrottle alerts_;
  std::set<std::string> seen_regions_;  // so that a country leaving the window drops to 0 instead of freezing
};

}  // namespace sms_auth
