// Configuration: the documented defaults (README, Configuration), and a problem naming the variable for each bad value.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/config_problems.hpp"

namespace sms_auth {
namespace {

const std::string kSecret = "r4nd0m-Secret-value-with-enough-bytes-9f8e7d";

TEST(LoadConfig, TestModeAloneIsAValidConfigurationWithTheSpecDefaults) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 8000);
  EXPECT_EQ(config->database_url, "sqlite:data/sms-auth.db");
  EXPECT_EQ(config->otp.code_ttl.count(), 300);
  EXPECT_EQ(config->otp.max_attempts, 5);
  EXPECT_EQ(config->limits.resend_cooldown.count(), 60);
  EXPECT_EQ(config->limits.sms_per_number_per_hour, 5);
  EXPECT_EQ(config->limits.sms_per_number_per_day, 10);
  EXPECT_EQ(config->limits.sms_per_ip_per_hour, 30);
  EXPECT_EQ(config->limits.sms_global_per_hour, 1000);
  EXPECT_EQ(config->limits.failed_verify_per_number_per_hour, 50);
  EXPECT_EQ(config->limits.failed_verify_per_number_per_address_per_hour, 10);
  EXPECT_EQ(config->allowed_countries, std::vector<std::string>{"KZ"});
  EXPECT_EQ(config->jwt_issuer, "sms-auth");
  EXPECT_EQ(config->jwt_audience, "memoir");
  EXPECT_EQ(config->access_token_ttl.count(), 1800);
  EXPECT_EQ(config->sessions.refresh_token_ttl.count(), 2592000);
  EXPECT_EQ(config->mobizon_api_url, "https://api.mobizon.kz/service");
}

TEST(LoadConfig, ProductionNeedsAnApiKeyAndAJwtSecret) {
  const auto config = load_config({});
  ASSERT_FALSE(config);
  EXPECT_TRUE(names(config.error(), "MOBIZON_API_KEY"));
  EXPECT_TRUE(names(config.error(), "JWT_SECRET"));
}

TEST(LoadConfig, EveryBadValueIsReportedByItsVariable) {
  const auto config = load_config({{"SMS_TEST_MODE", "maybe"},
                                   {"PORT", "http"},
                                   {"OTP_TTL_SECONDS", "3600"},
                                   {"JWT_SECRET", "short"},
                                   {"SMS_SENDER", "TwelveChars!"},
                                   {"ALLOWED_COUNTRIES", "KZ,Kazakhstan"},
                                   {"TRUSTED_PROXIES", "10.0.0.0/8,not-a-network"},
                                   {"LOG_FORMAT", "xml"},
                                   {"DATABASE_URL", "mysql://x"}});
  ASSERT_FALSE(config);
  for (const char* variable : {"SMS_TEST_MODE", "PORT", "OTP_TTL_SECONDS", "JWT_SECRET", "SMS_SENDER",
                               "ALLOWED_COUNTRIES", "TRUSTED_PROXIES", "LOG_FORMAT", "DATABASE_URL"}) {
    EXPECT_TRUE(names(config.error(), variable)) << variable;
  }
}

TEST(LoadConfig, ProblemsNeverRepeatASecretValue) {
  const std::string key = "THIS-IS-NOT-A-VALID-KEY-BUT-A-SECRET-ONE";
  const auto config = load_config({{"MOBIZON_API_KEY", key}, {"JWT_SECRET", "tiny-secret"}});
  ASSERT_FALSE(config);
  for (const auto& p : config.error()) {
    EXPECT_EQ(p.reason.find(key), std::string::npos);
    EXPECT_EQ(p.reason.find("tiny-secret"), std::string::npos);
  }
}

TEST(LoadConfig, PlaceholderJwtSecretsAreRefused) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}, {"JWT_SECRET", "changeme-changeme-changeme-changeme"}});
  ASSERT_FALSE(config);
  EXPECT_TRUE(names(config.error(), "JWT_SECRET"));
  const auto repeated = load_config({{"SMS_TEST_MODE", "true"}, {"JWT_SECRET", std::string(40, 'a')}});
  EXPECT_FALSE(repeated);
}

TEST(LoadConfig, GuessableSecretsAreRefusedWithHowToMakeAGoodOne) {
  const std::vector<std::string> guessable{"abcdefghijklmnopqrstuvwxyz123456", std::string(32, 'a'),
                                           "abababababababababababababababab", "qwe1qwe1qwe1qwe1qwe1qwe1qwe1qwe1",
                                           "aabbaabbccddccddaabbaabbccddccdd11", "98765432109876543210zyxwvutsrqpo"};
  for (const auto& weak : guessable) {
    for (const char* name : {"JWT_SECRET", "OTP_SECRET", "ADMIN_TOKEN", "MOBIZON_WEBHOOK_SECRET"}) {
      const auto config = load_config({{"SMS_TEST_MODE", "true"}, {name, weak}});
      ASSERT_FALSE(config) << name << "=" << weak;
      ASSERT_TRUE(names(config.error(), name)) << name << "=" << weak;
      for (const auto& p : config.error()) {
        EXPECT_NE(p.reason.find("openssl rand"), std::string::npos) << p.reason;
        EXPECT_EQ(p.reason.find(weak), std::string::npos);  // the secret is never echoed
      }
    }
  }
  // What `openssl rand` makes passes.
  for (const char* name : {"JWT_SECRET", "OTP_SECRET", "ADMIN_TOKEN", "MOBIZON_WEBHOOK_SECRET"}) {
    EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"},
                             {name, "kR0x9v2QmZ4tB7LwN1cY8sE3uH6pJ5aG0dF2iK9oT4rW7yX1"}}))
        << name;
    EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"},
                             {name, "3f9c1a7e5b2d8f40c6e1a9b7d3f5e2c8a4b6d0f1e7c9a3b5"}}))
        << name;
  }
}

TEST(LoadConfig, TestModeOnAnAddressOthersCanReachNeedsToBeSaidExplicitly) {
  for (const char* host : {"0.0.0.0", "::", "192.168.1.10"}) {
    const auto refused = load_config({{"SMS_TEST_MODE", "true"}, {"HOST", host}});
    ASSERT_FALSE(refused) << host;
    EXPECT_TRUE(names(refused.error(), "SMS_TEST_MODE"));
    const auto with_code =
        load_config({{"SMS_TEST_MODE", "true"}, {"HOST", host}, {"SMS_TEST_FIXED_CODE", "123456"}});
    EXPECT_FALSE(with_code) << host;
    const auto said = load_config({{"SMS_TEST_MODE", "true"}, {"HOST", host}, {"SMS_TEST_MODE_PUBLIC", "true"}});
    ASSERT_TRUE(said) << host;
    EXPECT_TRUE(said->sms_test_mode_public);
  }
  EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"}, {"HOST", "127.0.0.1"}}));
  EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"}, {"HOST", "::1"}}));
}

TEST(LoadConfig, ConnectionCapsAreRead) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}, {"MAX_CONNECTIONS", "500"},
                                   {"MAX_CONNECTIONS_PER_CLIENT", "0"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->max_connections, 500u);
  EXPECT_EQ(config->max_connections_per_client, 0u);
  EXPECT_FALSE(load_config({{"SMS_TEST_MODE", "true"}, {"MAX_CONNECTIONS", "-1"}}));
}

TEST(LoadConfig, TheUnverifiedSmsBudgetIsAQuarterOfTheHourlyCapUnlessSet) {
  EXPECT_EQ(load_config({{"SMS_TEST_MODE", "true"}})->limits.sms_unverified_per_hour, 250);
  EXPECT_EQ(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_GLOBAL_PER_HOUR", "40"}})->limits.sms_unverified_per_hour,
            10);
  EXPECT_EQ(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_GLOBAL_PER_HOUR", "3"}})->limits.sms_unverified_per_hour, 0);
  EXPECT_EQ(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_UNVERIFIED_PER_HOUR", "20"}})->limits.sms_unverified_per_hour,
            20);
  EXPECT_EQ(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_UNVERIFIED_PER_HOUR", "0"}})->limits.sms_unverified_per_hour,
            0);
  const auto bad = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_UNVERIFIED_PER_HOUR", "-1"}});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(names(bad.error(), "SMS_UNVERIFIED_PER_HOUR"));
}

TEST(LoadConfig, FixedTestCodeIsRefusedOutsideTestMode) {
  const auto config = load_config({{"MOBIZON_API_KEY", std::string(40, 'k')},
                                   {"JWT_SECRET", kSecret},
                                   {"SMS_TEST_FIXED_CODE", "111111"}});
  ASSERT_FALSE(config);
  EXPECT_TRUE(names(config.error(), "SMS_TEST_FIXED_CODE"));
}

TEST(LoadConfig, ApiKeyShapeIsChecked) {
  EXPECT_TRUE(load_config({{"MOBIZON_API_KEY", std::string(40, 'k')}, {"JWT_SECRET", kSecret}}));
  EXPECT_TRUE(load_config({{"MOBIZON_API_KEY", "kz" + std::string(68, '0')}, {"JWT_SECRET", kSecret}}));
  EXPECT_FALSE(load_config({{"MOBIZON_API_KEY", std::string(41, 'k')}, {"JWT_SECRET", kSecret}}));
  EXPECT_FALSE(load_config({{"MOBIZON_API_KEY", std::string(40, 'K')}, {"JWT_SECRET", kSecret}}));
}

TEST(LoadConfig, TestPhoneNumbersAndAnyCountry) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"},
                                   {"TEST_PHONE_NUMBERS", "+77000000001:111111, +77000000002:222222"},
                                   {"ALLOWED_COUNTRIES", "*"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->otp.test_phone_numbers.at("+77000000002"), "222222");
  EXPECT_TRUE(config->allowed_countries.empty());
  EXPECT_FALSE(load_config({{"SMS_TEST_MODE", "true"}, {"TEST_PHONE_NUMBERS", "+77000000001=111111"}}));
}

TEST(ParseDotenv, ReadsAssignmentsCommentsQuotesAndExport) {
  ConfigProblems problems;
  const auto env = parse_dotenv(
      "# Mobizon\nMOBIZON_API_KEY=abc\nexport SMS_TEST_MODE=true  # for local development\n"
      "SMS_TEMPLATE=\"Code: {code}\\n\\nValid {minutes}.\"\nQUOTED='a # b'\n\nnot an assignment\n",
      problems);
  EXPECT_EQ(env.at("MOBIZON_API_KEY"), "abc");
  EXPECT_EQ(env.at("SMS_TEST_MODE"), "true");
  EXPECT_EQ(env.at("SMS_TEMPLATE"), "Code: {code}\n\nValid {minutes}.");
  EXPECT_EQ(env.at("QUOTED"), "a # b");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].variable, ".env");
}

}  // namespace
}  // namespace sms_auth
