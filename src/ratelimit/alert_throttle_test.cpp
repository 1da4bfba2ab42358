// AlertThrottle: one alert per key and quiet period.
#include "ratelimit/alert_throttle.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

const TimePoint kStart = from_unix_ms(1'700'000'000'000);

TEST(AlertThrottle, AlertsOncePerKeyUntilTheQuietPeriodEnds) {
  AlertThrottle throttle;
  const Milliseconds hour = std::chrono::hours(1);
  EXPECT_TRUE(throttle.first_in_period("global_hour", kStart, hour));
  EXPECT_FALSE(throttle.first_in_period("global_hour", kStart + std::chrono::minutes(1), hour));
  EXPECT_FALSE(throttle.first_in_period("global_hour", kStart + std::chrono::minutes(59), hour));
  EXPECT_TRUE(throttle.first_in_period("global_hour", kStart + hour, hour));
  EXPECT_FALSE(throttle.first_in_period("global_hour", kStart + hour + std::chrono::seconds(1), hour));
}

TEST(AlertThrottle, KeysAreIndependent) {
  AlertThrottle throttle;
  const Milliseconds hour = std::chrono::hours(1);
  EXPECT_TRUE(throttle.first_in_period("conversion_prefix:+7747236", kStart, hour));
  EXPECT_TRUE(throttle.first_in_period("conversion_prefix:+7747237", kStart, hour));
  EXPECT_FALSE(throttle.first_in_period("conversion_prefix:+7747236", kStart, hour));
}

TEST(AlertThrottle, WhenFullItForgetsExpiredKeysAndNeverSilencesANewOne) {
  AlertThrottle throttle(2);
  const Milliseconds minute = std::chrono::minutes(1);
  EXPECT_TRUE(throttle.first_in_period("a", kStart, minute));
  EXPECT_TRUE(throttle.first_in_period("b", kStart, minute));
  EXPECT_TRUE(throttle.first_in_period("c", kStart, minute));  // full of live keys: alerts, not remembered
  EXPECT_TRUE(throttle.first_in_period("c", kStart, minute));
  EXPECT_FALSE(throttle.first_in_period("a", kStart, minute));
  // After the quiet period the old keys are dropped and a new key is remembered again.
  EXPECT_TRUE(throttle.first_in_period("d", kStart + minute, minute));
  EXPECT_FALSE(throttle.first_in_period("d", kStart + minute, minute));
}

}  // namespace
}  // namespace sms_auth
