// LimitPolicy: which limits a send or a verification passes, in which order, and which bucket each counts in.
#include "ratelimit/limit_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace sms_auth {
namespace {

const PhoneNumber kPhone{"+77472367503", "KZ"};

std::vector<std::string> names_of(const std::vector<WindowLimit>& limits) {
  std::vector<std::string> names;
  for (const auto& limit : limits) names.push_back(limit.name);
  return names;
}

const WindowLimit& find(const std::vector<WindowLimit>& limits, std::string_view name) {
  const auto it = std::find_if(limits.begin(), limits.end(), [&](const WindowLimit& l) { return l.name == name; });
  if (it == limits.end()) throw std::out_of_range(std::string(name));
  return *it;
}

TEST(LimitPolicy, SendChecksAddressThenNumberThenPrefixThenGlobal) {
  const Config config;
  const LimitPolicy policy(config.limits);
  EXPECT_EQ(names_of(policy.for_send(kPhone, "203.0.113.7")),
            (std::vector<std::string>{"per_ip_hour", "failed_verify_per_number_address_hour",
                                      "cooldown", "per_number_hour",
                                      "per_number_day", "per_prefix_hour", "conversion_prefix", "unverified_budget",
                                      "global_hour", "global_day"}));
}

TEST(LimitPolicy, TheUnverifiedBudgetSparesReturningUsersAndRangesByTheFraudRule) {
  Config config;
  config.limits.sms_unverified_per_hour = 20;
  config.limits.fraud_min_samples = 13;
  config.limits.fraud_min_conversion = 0.25;
  config.limits.fraud_window = std::chrono::seconds(7200);
  const LimitPolicy policy(config.limits);
  const auto limits = policy.for_send(kPhone, "203.0.113.7");
  const auto& budget = find(limits, "unverified_budget");
  EXPECT_EQ(budget.limit, 20);
  EXPECT_EQ(budget.window, std::chrono::hours(1));
  EXPECT_EQ(budget.bucket, "sms:unverified");
  EXPECT_FALSE(budget.count);  // the engine records every send as unverified itself
  ASSERT_TRUE(budget.unverified);
  EXPECT_EQ(budget.unverified->phone_number, "+77472367503");
  EXPECT_EQ(budget.unverified->range_bucket, "sms:prefix:+7747236");
  EXPECT_EQ(budget.unverified->range_verified_bucket, "verified:prefix:+7747236");
  EXPECT_EQ(budget.unverified->country_bucket, "sms:country:KZ");
  EXPECT_EQ(budget.unverified->country_verified_bucket, "verified:country:KZ");
  EXPECT_EQ(budget.unverified->conversion_window, std::chrono::seconds(7200));
  EXPECT_DOUBLE_EQ(budget.unverified->min_ratio, 0.25);
  EXPECT_EQ(budget.unverified->min_samples, 13);
  EXPECT_EQ(LimitPolicy::kind_of("unverified_budget"), LimitKind::unverified_budget);

  config.limits.sms_unverified_per_hour = 0;  // disabled
  const auto none = names_of(policy.for_send(kPhone, "203.0.113.7"));
  EXPECT_EQ(std::count(none.begin(), none.end(), "unverified_budget"), 0);
}

TEST(LimitPolicy, SendLimitsCarryTheConfiguredBudgetsAndWindows) {
  Config config;
  config.limits.sms_per_ip_per_hour = 7;
  config.limits.resend_cooldown = std::chrono::seconds(45);
  config.limits.sms_per_number_per_hour = 3;
  config.limits.sms_per_number_per_day = 4;
  config.limits.sms_per_prefix_per_hour = 9;
  config.limits.sms_global_per_hour = 11;
  config.limits.sms_global_per_day = 12;
  config.limits.fraud_min_samples = 13;
  config.limits.fraud_min_conversion = 0.25;
  config.limits.fraud_window = std::chrono::seconds(7200);
  const LimitPolicy policy(config.limits);
  const auto limits = policy.for_send(kPhone, "203.0.113.7");

  EXPECT_EQ(find(limits, "per_ip_hour").limit, 7);
  EXPECT_EQ(find(limits, "per_ip_hour").bucket, "sms:ip:203.0.113.7");
  EXPECT_EQ(find(limits, "cooldown").limit, 1);
  EXPECT_EQ(find(limits, "cooldown").window, std::chrono::seconds(45));
  EXPECT_EQ(find(limits, "per_number_hour").limit, 3);
  EXPECT_EQ(find(limits, "per_number_day").limit, 4);
  EXPECT_EQ(find(limits, "per_number_day").window, std::chrono::hours(24));
  EXPECT_EQ(find(limits, "per_prefix_hour").limit, 9);
  EXPECT_EQ(find(limits, "per_prefix_hour").bucket, "sms:prefix:+7747236");
  EXPECT_EQ(find(limits, "global_hour").limit, 11);
  EXPECT_EQ(find(limits, "global_day").limit, 12);

  const auto& conversion = find(limits, "conversion_prefix");
  EXPECT_EQ(conversion.bucket, "sms:prefix:+7747236");
  EXPECT_EQ(conversion.limit, 13);
  EXPECT_EQ(conversion.window, std::chrono::seconds(7200));
  ASSERT_TRUE(conversion.conversion);
  EXPECT_EQ(conversion.conversion->converted_bucket, "verified:prefix:+7747236");
  EXPECT_DOUBLE_EQ(conversion.conversion->min_ratio, 0.25);
}

TEST(LimitPolicy, EachSendIsCountedOncePerBucket) {
  const Config config;
  const LimitPolicy policy(config.limits);
  const auto limits = policy.for_send(kPhone, "203.0.113.7");
  std::vector<std::string> counted;
  for (const auto& limit : limits) {
    if (limit.count) counted.push_back(limit.bucket);
  }
  EXPECT_EQ(counted, (std::vector<std::string>{"sms:ip:203.0.113.7", "sms:number:+77472367503", "sms:prefix:+7747236",
                                               "sms:global"}));
  // The client's failure lock is only checked on a send: wrong codes fill it. The number-wide one is not checked:
  // strangers' wrong codes must not stop the owner's codes.
  EXPECT_FALSE(find(limits, "failed_verify_per_number_address_hour").count);
  EXPECT_EQ(find(limits, "failed_verify_per_number_address_hour").bucket,
            "verify-failed:number:+77472367503:client:203.0.113.7");
  EXPECT_THROW(find(limits, "failed_verify_per_number_hour"), std::out_of_range);
}

TEST(LimitPolicy, NoCooldownLimitWhenTheCooldownIsZero) {
  Config config;
  config.limits.resend_cooldown = std::chrono::seconds(0);
  const LimitPolicy policy(config.limits);
  const auto limits = policy.for_send(kPhone, "203.0.113.7");
  const auto names = names_of(limits);
  EXPECT_EQ(std::count(names.begin(), names.end(), "cooldown"), 0);
  EXPECT_TRUE(find(limits, "per_number_hour").count);  // the hourly budget counts instead
}

TEST(LimitPolicy, ZeroMinimumConversionTurnsTheConversionWatchOff) {
  Config config;
  config.limits.fraud_min_conversion = 0;
  const LimitPolicy policy(config.limits);
  const auto names = names_of(policy.for_send(kPhone, "203.0.113.7"));
  EXPECT_EQ(std::count(names.begin(), names.end(), "conversion_prefix"), 0);
}

TEST(LimitPolicy, SendsAreTalliedPerCountryAndVerificationsPerPrefixAndCountry) {
  const Config config;
  const LimitPolicy policy(config.limits);
  EXPECT_EQ(policy.send_tallies(kPhone), std::vector<std::string>{"sms:country:KZ"});
  EXPECT_EQ(policy.success_tallies(kPhone),
            (std::vector<std::string>{"verified:prefix:+7747236", "verified:country:KZ"}));
}

TEST(LimitPolicy, VerificationLimitsAreTheAddressAndTheNumbersFailures) {
  Config config;
  config.limits.verify_per_ip_per_hour = 6;
  config.limits.failed_verify_per_number_per_hour = 8;
  config.limits.failed_verify_per_number_per_address_per_hour = 3;
  const LimitPolicy policy(config.limits);
  const auto attempt = policy.for_verify_attempt("203.0.113.7");
  ASSERT_EQ(attempt.size(), 1u);
  EXPECT_EQ(attempt[0].name, "verify_per_ip_hour");
  EXPECT_EQ(attempt[0].bucket, "verify:ip:203.0.113.7");
  EXPECT_EQ(attempt[0].limit, 6);
  const auto failures = policy.failed_verifications(kPhone);
  EXPECT_EQ(failures.bucket, "verify-failed:number:+77472367503");
  EXPECT_EQ(failures.limit, 8);
  EXPECT_EQ(failures.window, std::chrono::hours(1));
  // One client's failures for the number have a bucket of their own (IPv6 per /64, like every per-address limit).
  const auto from_client = policy.failed_verifications_from(kPhone, "2001:db8::5");
  EXPECT_EQ(from_client.name, "failed_verify_per_number_address_hour");
  EXPECT_EQ(from_client.bucket, "verify-failed:number:+77472367503:client:2001:db8::/64");
  EXPECT_EQ(from_client.limit, 3);
  EXPECT_EQ(from_client.window, std::chrono::hours(1));
}

TEST(LimitPolicy, AnIpv6ClientCountsAsItsSlash64) {
  EXPECT_EQ(LimitPolicy::address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(LimitPolicy::address_key("2001:db8:1:2::1"), LimitPolicy::address_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(LimitPolicy::address_key("2001:db8:1:2::1"), LimitPolicy::address_key("2001:db8:1:3::1"));
  EXPECT_EQ(LimitPolicy::address_key("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(LimitPolicy::address_key("::ffff:203.0.113.7"), "203.0.113.7");  // v4-mapped is the v4 address
  const Config config;
  const LimitPolicy policy(config.limits);
  EXPECT_EQ(policy.for_send(kPhone, "2001:db8::5")[0].bucket, "sms:ip:2001:db8::/64");
  EXPECT_EQ(policy.for_verify_attempt("2001:db8::5")[0].bucket, "verify:ip:2001:db8::/64");
  EXPECT_EQ(LimitPolicy::failure_tag("2001:db8::5"), "client:2001:db8::/64");
}

TEST(LimitPolicy, KindsTellLocksCapsAndPumpingFromOrdinaryBudgets) {
  EXPECT_EQ(LimitPolicy::kind_of("failed_verify_per_number_hour"), LimitKind::failure_lock);
  EXPECT_EQ(LimitPolicy::kind_of("failed_verify_per_number_address_hour"), LimitKind::failure_lock);
  EXPECT_EQ(LimitPolicy::kind_of("global_hour"), LimitKind::spend_cap);
  EXPECT_EQ(LimitPolicy::kind_of("global_day"), LimitKind::spend_cap);
  EXPECT_EQ(LimitPolicy::kind_of("conversion_prefix"), LimitKind::low_conversion);
  EXPECT_EQ(LimitPolicy::kind_of("per_number_hour"), LimitKind::ordinary);
  EXPECT_EQ(LimitPolicy::kind_of("cooldown"), LimitKind::ordinary);
}

TEST(LimitPolicy, PruningKeepsTheLongestWindow) {
  Config config;
  EXPECT_EQ(LimitPolicy(config.limits).longest_window(), std::chrono::hours(24));
  config.limits.fraud_window = std::chrono::hours(72);
  EXPECT_EQ(LimitPolicy(config.limits).longest_window(), std::chrono::hours(72));
}

}  // namespace
}  // namespace sms_auth
