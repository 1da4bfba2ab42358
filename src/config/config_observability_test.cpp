// Configuration of logs and metrics: ACCESS_LOG, METRICS_LISTEN (defaults, accepted forms, refusals).
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace sms_auth {
namespace {

bool names(const ConfigProblems& problems, const std::string& variable) {
  for (const auto& p : problems) {
    if (p.variable == variable) return true;
  }
  return false;
}

TEST(LoadObservabilityConfig, AccessLogIsOnAndMetricsStayOnThePublicPortByDefault) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}});
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->access_log);
  EXPECT_TRUE(config->metrics_host.empty());
}

TEST(LoadObservabilityConfig, AccessLogCanBeTurnedOffAndIsABoolean) {
  const auto off = load_config({{"SMS_TEST_MODE", "true"}, {"ACCESS_LOG", "false"}});
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->access_log);
  const auto bad = load_config({{"SMS_TEST_MODE", "true"}, {"ACCESS_LOG", "sometimes"}});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(names(bad.error(), "ACCESS_LOG"));
}

TEST(LoadObservabilityConfig, MetricsListenTakesAnIpv4OrBracketedIpv6HostAndAPort) {
  const auto v4 = load_config({{"SMS_TEST_MODE", "true"}, {"METRICS_LISTEN", "127.0.0.1:9464"}});
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->metrics_host, "127.0.0.1");
  EXPECT_EQ(v4->metrics_port, 9464);
  const auto v6 = load_config({{"SMS_TEST_MODE", "true"}, {"METRICS_LISTEN", "[::1]:9464"}});
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->metrics_host, "::1");
}

TEST(LoadObservabilityConfig, BadMetricsListenValuesAreRefusedByName) {
  for (const char* value : {"9464", "localhost:9464", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                            "127.0.0.1:94x4", "::1:9464", "[127.0.0.1]:9464", "127.0.0.1:8000"}) {
    const auto config = load_config({{"SMS_TEST_MODE", "true"}, {"METRICS_LISTEN", value}});
    ASSERT_FALSE(config) << value;
    EXPECT_TRUE(names(config.error(), "METRICS_LISTEN")) << value;
  }
}

}  // namespace
}  // namespace sms_auth
