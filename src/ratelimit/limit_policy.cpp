// Limit definitions. Several limits may share one bucket (the SMS sent to a number count once, and are checked
// against the cooldown, the hourly and the daily budget); only the first of them counts the event.
#include "ratelimit/limit_policy.hpp"

#include <algorithm>

namespace sms_auth {

using std::chrono::hours;
using std::chrono::seconds;

LimitPolicy::LimitPolicy(const Config& config) : config_(config) {}

std::vector<WindowLimit> LimitPolicy::for_send(const PhoneNumber& phone, std::string_view client_address) const {
  std::vector<WindowLimit> limits;
  limits.push_back({"per_ip_hour", "sms:ip:" + std::string(client_address), config_.sms_per_ip_per_hour, hours(1)});

  limits.push_back(failed_verifications(phone));
  limits.back().count = false;  // a locked number gets no new code either

  const std::string number_bucket = "sms:number:" + phone.e164;
  bool counted = false;
  auto per_number = [&](const char* name, int limit, seconds window) {
    limits.push_back({name, number_bucket, limit, window, !counted});
    counted = true;
  };
  if (config_.resend_cooldown.count() > 0) per_number("cooldown", 1, config_.resend_cooldown);
  per_number("per_number_hour", config_.sms_per_number_per_hour, hours(1));
  per_number("per_number_day", config_.sms_per_number_per_day, hours(24));

  limits.push_back({"per_prefix_hour", "sms:prefix:" + phone.prefix(), config_.sms_per_prefix_per_hour, hours(1)});
  limits.push_back({"global_hour", "sms:global", config_.sms_global_per_hour, hours(1)});
  limits.push_back({"global_day", "sms:global", config_.sms_global_per_day, hours(24), false});
  return limits;
}

std::vector<WindowLimit> LimitPolicy::for_verify_attempt(std::string_view client_address) const {
  return {{"verify_per_ip_hour", "verify:ip:" + std::string(client_address), config_.verify_per_ip_per_hour, hours(1)}};
}

WindowLimit LimitPolicy::failed_verifications(const PhoneNumber& phone) const {
  return {"failed_verify_per_number_hour", "verify-failed:number:" + phone.e164,
          config_.failed_verify_per_number_per_hour, hours(1)};
}

std::chrono::seconds LimitPolicy::longest_window() const {
  return std::max<seconds>({hours(24), config_.resend_cooldown, config_.fraud_window});
}

}  // namespace sms_auth
