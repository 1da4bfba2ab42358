// Limit verdicts without a database: full and open windows, exact Retry-After, the conversion rule, the check order.
#include "ratelimit/limit_verdict.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kNow = from_unix_ms(1'700'000'000'000);

WindowLimit per_hour(std::string name, int limit) { return {std::move(name), "bucket", limit, hours(1)}; }

WindowLimit conversion_watch(int samples, double ratio) {
  return {"conversion_prefix", "sms:prefix:+7700000", samples, hours(24), false,
          ConversionRule{"verified:prefix:+7700000", ratio}};
}

TEST(LimitVerdict, AWindowWithRoomLetsTheEventThrough) {
  EXPECT_FALSE(limit_verdict(per_hour("a", 3), WindowReading{}, kNow));
}

TEST(LimitVerdict, AFullWindowRefusesUntilItsFillingEventSlidesOut) {
  const auto refused = limit_verdict(per_hour("a", 3), WindowReading{kNow - minutes(20)}, kNow);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->name, "a");
  EXPECT_EQ(refused->retry_after, minutes(40));
  EXPECT_EQ(refused->window, hours(1));
}

TEST(LimitVerdict, RetryAfterIsNeverNegative) {
  // A filling event already out of the window (minute totals may lag by one slot) reopens the window now.
  const auto refused = limit_verdict(per_hour("a", 3), WindowReading{kNow - hours(1) - seconds(1)}, kNow);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->retry_after, Milliseconds::zero());
}

TEST(LimitVerdict, AConversionRuleRefusesOnlyAFullWindowUnderTheRatio) {
  const auto watch = conversion_watch(3, 0.5);
  EXPECT_FALSE(limit_verdict(watch, WindowReading{}, kNow));  // under the sample: never refused
  WindowReading full{kNow - hours(2), 4, 1};
  const auto refused = limit_verdict(watch, full, kNow);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->name, "conversion_prefix");
  EXPECT_EQ(refused->retry_after, hours(22));  // when the sample falls under 3 again
  full.converted = 2;                          // 2 of 4: exactly the ratio
  EXPECT_FALSE(limit_verdict(watch, full, kNow));
}

TEST(LimitVerdict, ConversionCountsAreNeededOnlyForAFullRuleWindow) {
  EXPECT_FALSE(needs_conversion_counts(per_hour("a", 3), WindowReading{kNow}));
  EXPECT_FALSE(needs_conversion_counts(conversion_watch(3, 0.5), WindowReading{}));
  EXPECT_TRUE(needs_conversion_counts(conversion_watch(3, 0.5), WindowReading{kNow}));
}

TEST(LimitVerdict, ConvertsEnoughComparesVerifiedWithTheRatioOfSent) {
  EXPECT_TRUE(converts_enough(10, 5, 0.5));
  EXPECT_FALSE(converts_enough(10, 4, 0.5));
  EXPECT_TRUE(converts_enough(0, 0, 0.5));
}

TEST(LimitVerdict, TheFirstRefusingLimitAnswersAndLaterWindowsAreNotRead) {
  const std::vector<WindowLimit> limits{per_hour("first", 5), per_hour("second", 1), per_hour("third", 1)};
  std::vector<std::string> read;
  const auto refused = first_refusal(limits, kNow, [&](const WindowLimit& limit) {
    read.push_back(limit.name);
    return limit.name == "first" ? WindowReading{} : WindowReading{kNow - minutes(1)};
  });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->name, "second");
  EXPECT_EQ(read, (std::vector<std::string>{"first", "second"}));
}

TEST(LimitVerdict, OnlyCountingLimitsAreCounted) {
  std::vector<WindowLimit> limits{per_hour("a", 1), per_hour("b", 1), per_hour("c", 1)};
  limits[1].count = false;
  limits[0].bucket = "x";
  limits[2].bucket = "z";
  EXPECT_EQ(counted_buckets(limits), (std::vector<std::string>{"x", "z"}));
}

TEST(LimitVerdict, LargeLimitsAreReadFromMinuteTotals) {
  EXPECT_FALSE(read_from_totals(per_hour("a", kLargestExactLimit)));
  EXPECT_TRUE(read_from_totals(per_hour("a", kLargestExactLimit + 1)));
  EXPECT_EQ(totals_slot(from_unix_ms(119'999)), 1);
  EXPECT_EQ(totals_slot(from_unix_ms(120'000)), 2);
  EXPECT_EQ(window_start(per_hour("a", 1), kNow), kNow - hours(1));
}

}  // namespace
}  // namespace sms_auth
