// Configuration of the Mobizon client and delivery tracking (issue 4): defaults and refusals.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "testing/config_problems.hpp"

namespace sms_auth {
namespace {

TEST(LoadMobizonConfig, PollingAndBalanceIntervalsHaveDefaultsAndBounds) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->sms_status_poll_interval.count(), 60);
  EXPECT_EQ(config->sms_balance_check_interval.count(), 300);
  const auto set = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_STATUS_POLL_SECONDS", "5"},
                                {"SMS_BALANCE_CHECK_SECONDS", "600"}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->sms_status_poll_interval.count(), 5);
  EXPECT_EQ(set->sms_balance_check_interval.count(), 600);
  const auto bad = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_STATUS_POLL_SECONDS", "0"},
                                {"SMS_BALANCE_CHECK_SECONDS", "soon"}});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(names(bad.error(), "SMS_STATUS_POLL_SECONDS"));
  EXPECT_TRUE(names(bad.error(), "SMS_BALANCE_CHECK_SECONDS"));
}

TEST(LoadMobizonConfig, AShortWebhookSecretIsRefusedWithoutEchoingIt) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}, {"MOBIZON_WEBHOOK_SECRET", "s3cr3t"}});
  ASSERT_FALSE(config);
  ASSERT_TRUE(names(config.error(), "MOBIZON_WEBHOOK_SECRET"));
  for (const auto& problem : config.error()) EXPECT_EQ(problem.reason.find("s3cr3t"), std::string::npos);
  EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"}, {"MOBIZON_WEBHOOK_SECRET", "q8Zr2Lm4Vx7Tn1Kp"}}));
}

}  // namespace
}  // namespace sms_auth
