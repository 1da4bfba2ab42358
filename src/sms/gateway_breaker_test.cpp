// The gateway breaker with a hand-moved clock: opening after N outages, skipping, one probe, closing, reopening.
#include "sms/gateway_breaker.hpp"
#include "testing/manual_clock.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(GatewayBreaker, OpensAfterTheConfiguredConsecutiveOutages) {
  ManualClock clock;
  GatewayBreaker breaker(3, std::chrono::seconds{30}, clock);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker.allow());
    breaker.record_outage();
  }
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  ASSERT_TRUE(breaker.allow());
  breaker.record_outage();
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_FALSE(breaker.allow());
  EXPECT_EQ(breaker.reopens_at(), clock.now() + std::chrono::seconds{30});
}

TEST(GatewayBreaker, AnAnswerBetweenOutagesResetsTheCount) {
  ManualClock clock;
  GatewayBreaker breaker(2, std::chrono::seconds{30}, clock);
  breaker.record_outage();
  breaker.record_success();  // sent, or refused the number: the gateway answers
  breaker.record_outage();
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  breaker.record_outage();
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST(GatewayBreaker, SkipsDuringThePauseThenLetsExactlyOneProbeThrough) {
  ManualClock clock;
  GatewayBreaker breaker(1, std::chrono::seconds{30}, clock);
  breaker.record_outage();
  clock.advance(std::chrono::seconds{29});
  EXPECT_FALSE(breaker.allow());
  clock.advance(std::chrono::seconds{1});
  EXPECT_TRUE(breaker.allow());  // the probe
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_FALSE(breaker.allow());  // others keep skipping while the probe is out
  EXPECT_FALSE(breaker.allow());
}

TEST(GatewayBreaker, ASuccessfulProbeClosesIt) {
  ManualClock clock;
  GatewayBreaker breaker(1, std::chrono::seconds{10}, clock);
  breaker.record_outage();
  clock.advance(std::chrono::seconds{10});
  ASSERT_TRUE(breaker.allow());
  breaker.record_success();
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_TRUE(breaker.allow());
  EXPECT_TRUE(breaker.allow());
}

TEST(GatewayBreaker, AFailedProbeReopensForAWholePause) {
  ManualClock clock;
  GatewayBreaker breaker(5, std::chrono::seconds{10}, clock);
  for (int i = 0; i < 5; ++i) breaker.record_outage();
  clock.advance(std::chrono::seconds{15});
  ASSERT_TRUE(breaker.allow());
  breaker.record_outage();  // one failed probe is enough, not five
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(breaker.reopens_at(), clock.now() + std::chrono::seconds{10});
  EXPECT_FALSE(breaker.allow());
  clock.advance(std::chrono::seconds{10});
  EXPECT_TRUE(breaker.allow());
}

}  // namespace
}  // namespace sms_auth
