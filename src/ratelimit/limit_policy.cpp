// Limit definitions. Several limits may share one bucket (the SMS sent to a number count once, and are checked
// against the cooldown, the hourly and the daily budget); only the first of them counts the event.
#include "ratelimit/limit_policy.hpp"

#include <algorithm>

#include "core/ip_network.hpp"

namespace sms_auth {

using std::chrono::hours;
using std::chrono::seconds;

namespace {

std::string bucket(std::string_view kind, std::string_view key) {
  std::string out(kind);
  out += key;
  return out;
}

}  // namespace

LimitPolicy::LimitPolicy(const LimitSettings& settings) : settings_(settings) {}

std::vector<WindowLimit> LimitPolicy::for_send(const PhoneNumber& phone, std::string_view client_address) const {
  using namespace limit_name;
  std::vector<WindowLimit> limits;
  limits.push_back(
      {std::string(kPerIpHour), "sms:ip:" + address_key(client_address), settings_.sms_per_ip_per_hour, hours(1)});

  limits.push_back(failed_verifications_from(phone, client_address));
  limits.back().count = false;  // a client locked for the number gets no new code for it either

  const std::string number_bucket = "sms:number:" + phone.e164;
  bool counted = false;
  auto per_number = [&](std::string_view name, int limit, seconds window) {
    limits.push_back({std::string(name), number_bucket, limit, window, !counted});
    counted = true;
  };
  if (settings_.resend_cooldown.count() > 0) per_number(kCooldown, 1, settings_.resend_cooldown);
  per_number(kPerNumberHour, settings_.sms_per_number_per_hour, hours(1));
  per_number(kPerNumberDay, settings_.sms_per_number_per_day, hours(24));

  const std::string prefix_bucket = bucket(limit_bucket::kSmsPerPrefix, phone.prefix());
  limits.push_back({std::string(kPerPrefixHour), prefix_bucket, settings_.sms_per_prefix_per_hour, hours(1)});
  if (settings_.fraud_min_conversion > 0) {
    // The same SMS as the velocity limit, over the fraud window: after FRAUD_MIN_SAMPLES of them, the range must
    // convert. Real users verify; pumped numbers never do.
    limits.push_back(
        {std::string(kConversionPrefix), prefix_bucket, settings_.fraud_min_samples, settings_.fraud_window, false,
         ConversionRule{bucket(limit_bucket::kVerifiedPerPrefix, phone.prefix()), settings_.fraud_min_conversion}});
  }

  if (settings_.sms_unverified_per_hour > 0) {
    // Before the global caps, so that pumping spread over many ranges (one SMS each: no range ever fills its
    // sample) is stopped here, for unknown numbers only, long before the cap that would refuse everyone.
    BudgetExemption exemption{phone.e164,
                              prefix_bucket,
                              bucket(limit_bucket::kVerifiedPerPrefix, phone.prefix()),
                              bucket(limit_bucket::kSmsPerCountry, phone.region),
                              bucket(limit_bucket::kVerifiedPerCountry, phone.region),
                              settings_.fraud_window,
                              settings_.fraud_min_conversion,
                              settings_.fraud_min_samples};
    limits.push_back({std::string(kUnverifiedBudget), std::string(kUnverifiedSmsBucket),
                      settings_.sms_unverified_per_hour, hours(1), false, std::nullopt, std::move(exemption)});
  }

  limits.push_back({std::string(kGlobalHour), "sms:global", settings_.sms_global_per_hour, hours(1)});
  limits.push_back({std::string(kGlobalDay), "sms:global", settings_.sms_global_per_day, hours(24), false});
  return limits;
}

std::vector<std::string> LimitPolicy::send_tallies(const PhoneNumber& phone) const {
  return {bucket(limit_bucket::kSmsPerCountry, phone.region)};
}

std::vector<WindowLimit> LimitPolicy::for_verify_attempt(std::string_view client_address) const {
  return {{std::string(limit_name::kVerifyPerIpHour), "verify:ip:" + address_key(client_address),
           settings_.verify_per_ip_per_hour, hours(1)}};
}

WindowLimit LimitPolicy::failed_verifications(const PhoneNumber& phone) const {
  return {std::string(limit_name::kFailedVerifyPerNumber), "verify-failed:number:" + phone.e164,
          settings_.failed_verify_per_number_per_hour, hours(1)};
}

WindowLimit LimitPolicy::failed_verifications_from(const PhoneNumber& phone, std::string_view client_address) const {
  return {std::string(limit_name::kFailedVerifyPerNumberAddress),
          "verify-failed:number:" + phone.e164 + ":" + failure_tag(client_address),
          settings_.failed_verify_per_number_per_address_per_hour, hours(1)};
}

std::string LimitPolicy::failure_tag(std::string_view client_address) {
  return "client:" + address_key(client_address);
}

std::vector<std::string> LimitPolicy::success_tallies(const PhoneNumber& phone) const {
  return {bucket(limit_bucket::kVerifiedPerPrefix, phone.prefix()),
          bucket(limit_bucket::kVerifiedPerCountry, phone.region)};
}

LimitKind LimitPolicy::kind_of(std::string_view limit_name) {
  using namespace limit_name;
  if (limit_name == kFailedVerifyPerNumber || limit_name == kFailedVerifyPerNumberAddress) {
    return LimitKind::failure_lock;
  }
  if (limit_name == kGlobalHour || limit_name == kGlobalDay) return LimitKind::spend_cap;
  if (limit_name == kConversionPrefix) return LimitKind::low_conversion;
  if (limit_name == kUnverifiedBudget) return LimitKind::unverified_budget;
  return LimitKind::ordinary;
}

std::string LimitPolicy::address_key(std::string_view client_address) {
  auto address = IpAddress::parse(client_address);
  if (!address) return std::string(client_address);
  if (address->is_v4) return address->to_string();
  std::fill(address->bytes.begin() + 8, address->bytes.end(), std::uint8_t{0});
  return address->to_string() + "/64";
}

std::chrono::seconds LimitPolicy::longest_window() const {
  return std::max<seconds>({hours(24), settings_.resend_cooldown, settings_.fraud_window});
}

}  // namespace sms_auth
