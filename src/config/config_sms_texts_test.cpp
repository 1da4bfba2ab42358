// Configuration of SMS locales, autofill, the HTTPS gateway, failover and the breaker (issue 14).
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "testing/config_problems.hpp"

namespace sms_auth {
namespace {

const std::string kRelaySecret = "b1f0c8e2a7d94e3f8c6b5a4d3e2f1a0b9c8d7e6f";

TEST(LoadSmsTextConfig, EveryLocaleHasATemplateAndRussianIsTheDefault) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->sms_texts.default_locale, "ru");
  ASSERT_EQ(config->sms_texts.templates.size(), 3u);
  EXPECT_EQ(config->sms_texts.templates.at("ru"), Config::kDefaultSmsTemplate);
  EXPECT_EQ(config->sms_texts.templates.at("kk"), Config::kDefaultSmsTemplateKk);
  EXPECT_EQ(config->sms_texts.templates.at("en"), Config::kDefaultSmsTemplateEn);
  EXPECT_EQ(config->sms_texts.default_template, Config::kDefaultSmsTemplate);
}

TEST(LoadSmsTextConfig, SmsTemplateIsTheDefaultLocalesTemplate) {
  const auto config =
      load_config({{"SMS_TEST_MODE", "true"}, {"SMS_DEFAULT_LOCALE", "kk"}, {"SMS_TEMPLATE", "Код {code}"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->sms_texts.templates.at("kk"), "Код {code}");
  EXPECT_EQ(config->sms_texts.templates.at("ru"), Config::kDefaultSmsTemplate);
  EXPECT_EQ(config->sms_texts.default_template, "Код {code}");
}

TEST(LoadSmsTextConfig, BadLocaleTemplatesAndAutofillSettingsAreNamed) {
  const auto bad = load_config({{"SMS_TEST_MODE", "true"},
                                {"SMS_DEFAULT_LOCALE", "de"},
                                {"SMS_TEMPLATE_KK", "no code here"},
                                {"SMS_WEBOTP_DOMAIN", "https://memoir.kz/"},
                                {"SMS_ANDROID_APP_HASH", "short"}});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(names(bad.error(), "SMS_DEFAULT_LOCALE"));
  EXPECT_TRUE(names(bad.error(), "SMS_TEMPLATE_KK"));
  EXPECT_TRUE(names(bad.error(), "SMS_WEBOTP_DOMAIN"));
  EXPECT_TRUE(names(bad.error(), "SMS_ANDROID_APP_HASH"));
  EXPECT_FALSE(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_ANDROID_APP_HASH", "FA+9qCX9VS-"}}));
  EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_ANDROID_APP_HASH", "FA+9qCX9VSu"}}));
  EXPECT_TRUE(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_WEBOTP_DOMAIN", "login.memoir.kz"}}));
}

TEST(LoadSmsTextConfig, BothSmsTemplateAndTheDefaultLocalesOwnVariableIsAConflict) {
  const auto bad = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_TEMPLATE", "A {code}"}, {"SMS_TEMPLATE_RU", "B {code}"}});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(names(bad.error(), "SMS_TEMPLATE_RU"));
}

TEST(LoadGatewayConfig, MobizonAloneByDefaultWithTheBreakerDefaults) {
  const auto config = load_config({{"SMS_TEST_MODE", "true"}});
  ASSERT_TRUE(config);
  EXPECT_EQ(config->sms_gateways, std::vector<std::string>{"mobizon"});
  EXPECT_EQ(config->sms_gateway_breaker_failures, 5);
  EXPECT_EQ(config->sms_gateway_breaker_pause.count(), 30);
  EXPECT_EQ(config->sms_http_timeout.count(), 10000);
}

TEST(LoadGatewayConfig, AnHttpOnlyDeploymentNeedsNoMobizonKey) {
  const auto config = load_config({{"SMS_TEST_MODE", "false"},
                                   {"JWT_SECRET", "q8Zr3vT1mK9pW2xL7cN4bH6jF0sD5gA1yU8eR3tY"},
                                   {"SMS_GATEWAYS", "http"},
                                   {"SMS_HTTP_URL", "https://relay.example.com/sms"},
                                   {"SMS_HTTP_SECRET", kRelaySecret}});
  ASSERT_TRUE(config) << config.error().front().variable << " " << config.error().front().reason;
  EXPECT_EQ(config->sms_gateways, std::vector<std::string>{"http"});
}

TEST(LoadGatewayConfig, BadGatewaySettingsAreNamedWithoutEchoingTheSecret) {
  const auto bad = load_config({{"SMS_TEST_MODE", "true"},
                                {"SMS_GATEWAYS", "mobizon,smsc"},
                                {"SMS_HTTP_URL", "http://relay.example.com/sms"},
                                {"SMS_HTTP_SECRET", "tooshort-secret-value"},
                                {"SMS_HTTP_TIMEOUT_MS", "5"},
                                {"SMS_GATEWAY_BREAKER_FAILURES", "0"},
                                {"SMS_GATEWAY_BREAKER_SECONDS", "never"}});
  ASSERT_FALSE(bad);
  for (const char* variable : {"SMS_GATEWAYS", "SMS_HTTP_URL", "SMS_HTTP_SECRET", "SMS_HTTP_TIMEOUT_MS",
                               "SMS_GATEWAY_BREAKER_FAILURES", "SMS_GATEWAY_BREAKER_SECONDS"}) {
    EXPECT_TRUE(names(bad.error(), variable)) << variable;
  }
  for (const auto& p : bad.error()) EXPECT_EQ(p.reason.find("tooshort-secret-value"), std::string::npos);
  EXPECT_FALSE(load_config({{"SMS_TEST_MODE", "true"}, {"SMS_GATEWAYS", "http,http"}}));
  const auto no_url = load_config({{"SMS_TEST_MODE", "false"},
                                   {"JWT_SECRET", "q8Zr3vT1mK9pW2xL7cN4bH6jF0sD5gA1yU8eR3tY"},
                                   {"SMS_GATEWAYS", "http"}});
  ASSERT_FALSE(no_url);
  EXPECT_TRUE(names(no_url.error(), "SMS_HTTP_URL"));
}

}  // namespace
}  // namespace sms_auth
