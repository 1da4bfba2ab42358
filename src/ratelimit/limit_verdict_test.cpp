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

// ---- the unverified-SMS budget ----

WindowLimit budget_of(int limit) {
  return {"unverified_budget", "sms:unverified", limit, hours(1), false, std::nullopt,
          BudgetExemption{"+77472367503", "sms:prefix:+7747236", "verified:prefix:+7747236", "sms:country:KZ",
                          "verified:country:KZ", hours(24), 0.2, 20}};
}

// A simulated hour of traffic: the send times of the SMS nobody verified, read as an engine reads them (the
// limit-th most recent one inside the window), with the exemption facts of the number asking.
struct SimulatedBudget {
  WindowLimit limit = budget_of(3);
  std::vector<TimePoint> unverified;  // oldest first
  WindowReading facts;                // returning_user and conversion counts of the number asking

  std::optional<LimitExceeded> ask(TimePoint now) const {
    return first_refusal({limit}, now, [&](const WindowLimit& l) {
      WindowReading reading;
      std::vector<TimePoint> inside;
      for (const auto at : unverified) {
        if (at > window_start(l, now)) inside.push_back(at);
      }
      const auto n = static_cast<std::size_t>(l.limit);
      if (inside.size() >= n) reading.filling_event = inside[inside.size() - n];
      if (needs_exemption_facts(l, reading)) reading.returning_user = facts.returning_user;
      if (needs_range_facts(l, reading)) {
        reading.range_sent = facts.range_sent;
        reading.range_verified = facts.range_verified;
        reading.country_sent = facts.country_sent;
        reading.country_verified = facts.country_verified;
      }
      return reading;
    });
  }
  // Sends when allowed; the SMS stays unverified.
  bool send(TimePoint now) {
    if (ask(now)) return false;
    unverified.push_back(now);
    return true;
  }
};

TEST(UnverifiedBudget, SpentByUnverifiedSmsAndReopenedAsTheWindowMovesOn) {
  SimulatedBudget budget;  // 3 per hour
  const TimePoint t0 = kNow;
  EXPECT_TRUE(budget.send(t0));
  EXPECT_TRUE(budget.send(t0 + minutes(10)));
  EXPECT_TRUE(budget.send(t0 + minutes(20)));
  const auto refused = budget.ask(t0 + minutes(30));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->name, "unverified_budget");
  EXPECT_EQ(refused->retry_after, minutes(30));  // the first SMS leaves the hour at t0 + 1 h
  EXPECT_EQ(refused->window, hours(1));
  // Every minute of the next two hours: exactly one send gets through as each old one slides out.
  int sent = 0;
  for (auto at = t0 + minutes(30); at < t0 + hours(2) + minutes(30); at += minutes(1)) sent += budget.send(at) ? 1 : 0;
  EXPECT_EQ(sent, 6);  // 3 per hour: the ones at t0+1h, +1h10, +1h20, then those at +2h, +2h10, +2h20
  EXPECT_FALSE(budget.ask(t0 + hours(5)));  // a quiet window: open to all again
}

TEST(UnverifiedBudget, ASpentBudgetLetsAReturningUserThrough) {
  SimulatedBudget budget;
  budget.unverified = {kNow - minutes(3), kNow - minutes(2), kNow - minutes(1)};
  EXPECT_TRUE(budget.ask(kNow));
  budget.facts.returning_user = true;
  EXPECT_FALSE(budget.ask(kNow));
}

TEST(UnverifiedBudget, ASpentBudgetLetsThroughOnlyRangesThatConvertInCountriesThatDo) {
  const auto limit = budget_of(3);
  WindowReading spent{kNow - minutes(10)};
  // A range without a verification is no evidence, however few SMS it got.
  EXPECT_TRUE(limit_verdict(limit, spent, kNow));
  spent.range_sent = 5;
  spent.range_verified = 1;  // 1 of 5: the FRAUD_MIN_CONVERSION of one fifth
  EXPECT_FALSE(limit_verdict(limit, spent, kNow));
  spent.range_sent = 6;  // 1 of 6: under it
  EXPECT_TRUE(limit_verdict(limit, spent, kNow));
  spent.range_sent = 2;
  // A country under the rule (at least FRAUD_MIN_SAMPLES, under the ratio) spares none of its ranges.
  spent.country_sent = 100;
  spent.country_verified = 19;
  EXPECT_TRUE(limit_verdict(limit, spent, kNow));
  spent.country_verified = 20;
  EXPECT_FALSE(limit_verdict(limit, spent, kNow));
  spent.country_sent = 19;  // under the sample: not judged
  spent.country_verified = 0;
  EXPECT_FALSE(limit_verdict(limit, spent, kNow));
}

TEST(UnverifiedBudget, ExemptionFactsAreReadOnlyWhenSpentAndConversionOnlyForUnknownNumbers) {
  const auto limit = budget_of(3);
  EXPECT_FALSE(needs_exemption_facts(limit, WindowReading{}));
  EXPECT_FALSE(needs_exemption_facts(per_hour("a", 3), WindowReading{kNow}));
  WindowReading spent{kNow};
  EXPECT_TRUE(needs_exemption_facts(limit, spent));
  EXPECT_TRUE(needs_range_facts(limit, spent));
  spent.returning_user = true;
  EXPECT_FALSE(needs_range_facts(limit, spent));
  EXPECT_FALSE(range_converts(0, 0, 0));  // FRAUD_MIN_CONVERSION=0: a range needs a verification all the same
  EXPECT_TRUE(range_converts(50, 1, 0));
}

}  // namespace
}  // namespace sms_auth
