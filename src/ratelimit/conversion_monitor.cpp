// Conversion per country (and the count of blocked ranges) from the limit events of every instance.
#include "ratelimit/conversion_monitor.hpp"

#include <spdlog/spdlog.h>

#include "ratelimit/limit_policy.hpp"
#include "ratelimit/limit_verdict.hpp"

namespace sms_auth {
namespace {

// Below the ratio once the sample is big enough: the test the conversion_prefix limit makes (converts_enough).
bool under_conversion(std::int64_t sent, std::int64_t verified, const LimitSettings& settings) {
  return settings.fraud_min_conversion > 0 && sent >= settings.fraud_min_samples &&
         !converts_enough(sent, verified, settings.fraud_min_conversion);
}

std::int64_t count_of(const std::map<std::string, std::int64_t, std::less<>>& counts, const std::string& bucket) {
  const auto it = counts.find(bucket);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

ConversionMonitor::ConversionMonitor(const LimitSettings& settings, AsyncLimitStatistics& storage,
                                     MetricsRegistry& metrics, Family<Counter>& alerts_total)
    : settings_(settings),
      storage_(storage),
      sent_(metrics.gauge("sms_auth_conversion_sms_sent",
                          "SMS sent per country within FRAUD_WINDOW_SECONDS (all instances)", {"country"})),
      verified_(metrics.gauge("sms_auth_conversion_verified",
                              "Codes verified per country within FRAUD_WINDOW_SECONDS (all instances)", {"country"})),
      ratio_(metrics.gauge("sms_auth_conversion_ratio",
                           "Verified / sent per country within FRAUD_WINDOW_SECONDS (1 when nothing was sent)",
                           {"country"})),
      blocked_prefixes_(metrics.gauge("sms_auth_conversion_blocked_prefixes",
                                      "Number ranges refused now by the conversion watch (conversion_prefix)")),
      alerts_total_(alerts_total) {}

awaitable<ConversionReport> ConversionMonitor::check(TimePoint now) {
  const TimePoint since = now - std::chrono::duration_cast<Milliseconds>(settings_.fraud_window);
  const std::string sent_prefix(limit_bucket::kSmsPerCountry);
  const std::string verified_prefix(limit_bucket::kVerifiedPerCountry);
  auto counting_sent = storage_.count_events_by_bucket(sent_prefix, since);  // named (core/async.hpp)
  const auto sent = co_await std::move(counting_sent);
  auto counting_verified = storage_.count_events_by_bucket(verified_prefix, since);
  const auto verified = co_await std::move(counting_verified);

  ConversionReport report;
  std::set<std::string> regions = seen_regions_;
  for (const auto& [bucket, count] : sent) regions.insert(bucket.substr(sent_prefix.size()));
  for (const auto& [bucket, count] : verified) regions.insert(bucket.substr(verified_prefix.size()));

  for (const auto& region : regions) {
    CountryConversion country{region, count_of(sent, sent_prefix + region),
                              count_of(verified, verified_prefix + region)};
    country.low = under_conversion(country.sent, country.verified, settings_);
    sent_.labels({region}).set(static_cast<double>(country.sent));
    verified_.labels({region}).set(static_cast<double>(country.verified));
    ratio_.labels({region}).set(
        country.sent == 0 ? 1.0 : static_cast<double>(country.verified) / static_cast<double>(country.sent));
    if (country.low && alerts_.first_in_period(region, now, settings_.fraud_window)) {
      alerts_total_.labels({"conversion_country"}).inc();
      spdlog::error(
          "fraud.low_conversion country={} sent={} verified={} window={}s: under FRAUD_MIN_CONVERSION={} "
          "(SMS pumping?); the country is not blocked, its pumped number ranges are",
          region, country.sent, country.verified, settings_.fraud_window.count(), settings_.fraud_min_conversion);
    }
    report.countries.push_back(std::move(country));
  }
  seen_regions_ = std::move(regions);

  const std::string prefix_sent(limit_bucket::kSmsPerPrefix);
  const std::string prefix_verified(limit_bucket::kVerifiedPerPrefix);
  auto counting_range_sent = storage_.count_events_by_bucket(prefix_sent, since);
  const auto range_sent = co_await std::move(counting_range_sent);
  auto counting_range_verified = storage_.count_events_by_bucket(prefix_verified, since);
  const auto range_verified = co_await std::move(counting_range_verified);
  for (const auto& [bucket, count] : range_sent) {
    const auto prefix = bucket.substr(prefix_sent.size());
    if (under_conversion(count, count_of(range_verified, prefix_verified + prefix), settings_))
      ++report.blocked_prefixes;
  }
  blocked_prefixes_.get().set(static_cast<double>(report.blocked_prefixes));
  co_return report;
}

}  // namespace sms_auth
