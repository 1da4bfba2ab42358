// SMS text: the original backend's message and Russian plural forms of minutes.
#include "auth/sms_text.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace sms_auth {
namespace {

TEST(SmsText, DefaultTemplateGivesTheSeedsMessage) {
  EXPECT_EQ(render_sms_text(Config::kDefaultSmsTemplate, "598000", 5),
            "Ваш код подтверждения Memoir: 598000\n\nКод действителен 5 минут.");
}

TEST(SmsText, RussianPluralFormsOfMinutes) {
  EXPECT_EQ(russian_minutes(1), "1 минуту");
  EXPECT_EQ(russian_minutes(2), "2 минуты");
  EXPECT_EQ(russian_minutes(4), "4 минуты");
  EXPECT_EQ(russian_minutes(5), "5 минут");
  EXPECT_EQ(russian_minutes(10), "10 минут");
  EXPECT_EQ(russian_minutes(11), "11 минут");
  EXPECT_EQ(russian_minutes(12), "12 минут");
  EXPECT_EQ(russian_minutes(14), "14 минут");
  EXPECT_EQ(russian_minutes(21), "21 минуту");
  EXPECT_EQ(russian_minutes(22), "22 минуты");
  EXPECT_EQ(russian_minutes(25), "25 минут");
  EXPECT_EQ(russian_minutes(111), "111 минут");
}

TEST(SmsText, EveryPlaceholderIsReplacedAndOtherBracesStay) {
  EXPECT_EQ(render_sms_text("{code} {code} {minutes} {other} {", "123456", 2), "123456 123456 2 минуты {other} {");
}

}  // namespace
}  // namespace sms_auth

namespace sms_auth {
namespace {

Config texts_config() {
  auto config = load_config({{"SMS_TEST_MODE", "true"}});
  EXPECT_TRUE(config.has_value());
  return *config;
}

TEST(SmsText, KazakhKeepsTheNounSingularAfterEveryNumeral) {
  EXPECT_EQ(kazakh_minutes(1), "1 минут");
  EXPECT_EQ(kazakh_minutes(5), "5 минут");
  EXPECT_EQ(kazakh_minutes(21), "21 минут");
}

TEST(SmsText, EnglishHasSingularOnlyForOne) {
  EXPECT_EQ(english_minutes(1), "1 minute");
  EXPECT_EQ(english_minutes(2), "2 minutes");
  EXPECT_EQ(english_minutes(5), "5 minutes");
  EXPECT_EQ(english_minutes(21), "21 minutes");
  EXPECT_EQ(english_minutes(0), "0 minutes");
}

TEST(SmsText, EachLocaleHasItsOwnDefaultText) {
  const Config config = texts_config();
  EXPECT_EQ(compose_sms_text(config.sms_texts, "ru", "598000", 5),
            "Ваш код подтверждения Memoir: 598000\n\nКод действителен 5 минут.");
  EXPECT_EQ(compose_sms_text(config.sms_texts, "ru", "598000", 1),
            "Ваш код подтверждения Memoir: 598000\n\nКод действителен 1 минуту.");
  EXPECT_EQ(compose_sms_text(config.sms_texts, "kk", "598000", 5),
            "Memoir растау кодыңыз: 598000\n\nКод 5 минут ішінде жарамды.");
  EXPECT_EQ(compose_sms_text(config.sms_texts, "en", "598000", 5),
            "Your Memoir verification code: 598000\n\nThe code is valid for 5 minutes.");
  EXPECT_EQ(compose_sms_text(config.sms_texts, "en", "598000", 1),
            "Your Memoir verification code: 598000\n\nThe code is valid for 1 minute.");
}

TEST(SmsText, AnUnknownLocaleGetsTheDefaultLocalesText) {
  auto config = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_DEFAULT_LOCALE", "kk"}});
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(compose_sms_text(config->sms_texts, "de", "111222", 2),
            "Memoir растау кодыңыз: 111222\n\nКод 2 минут ішінде жарамды.");
}

TEST(SmsText, OperatorTemplatesReplaceEachLocalesText) {
  auto config = load_config({{"SMS_TEST_MODE", "true"},
                             {"SMS_TEMPLATE", "RU {code} {minutes}"},
                             {"SMS_TEMPLATE_KK", "KK {code} {minutes}"},
                             {"SMS_TEMPLATE_EN", "EN {code} {minutes}"}});
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(compose_sms_text(config->sms_texts, "ru", "123456", 3), "RU 123456 3 минуты");
  EXPECT_EQ(compose_sms_text(config->sms_texts, "kk", "123456", 3), "KK 123456 3 минут");
  EXPECT_EQ(compose_sms_text(config->sms_texts, "en", "123456", 3), "EN 123456 3 minutes");
}

TEST(SmsText, WebOtpLineIsLastAndCarriesTheCode) {
  auto config = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_WEBOTP_DOMAIN", "memoir.kz"}});
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(compose_sms_text(config->sms_texts, "en", "123456", 5),
            "Your Memoir verification code: 123456\n\nThe code is valid for 5 minutes.\n@memoir.kz #123456");
}

TEST(SmsText, AndroidHashEndsTheTextAndPrecedesTheWebOtpLine) {
  EXPECT_EQ(with_autofill("Code 123456", "123456", "", "FA+9qCX9VSu"), "Code 123456\nFA+9qCX9VSu");
  EXPECT_EQ(with_autofill("Code 123456", "123456", "memoir.kz", "FA+9qCX9VSu"),
            "Code 123456\nFA+9qCX9VSu\n@memoir.kz #123456");
  EXPECT_EQ(with_autofill("Code 123456", "123456", "", ""), "Code 123456");
}

TEST(SmsText, SizesAreReportedPerLocaleWithAWarningBeyondOneSegment) {
  auto config = load_config({{"SMS_TEST_MODE", "true"}, {"SMS_WEBOTP_DOMAIN", "memoir.kz"}});
  ASSERT_TRUE(config.has_value());
  const auto sizes = measure_sms_texts(config->sms_texts, config->otp.code_ttl);
  ASSERT_EQ(sizes.size(), 3u);
  for (const auto& text : sizes) {
    if (text.locale == "en") {
      EXPECT_EQ(text.size.encoding, SmsEncoding::gsm7);
      EXPECT_EQ(text.size.segments, 1u);
      EXPECT_EQ(describe_sms_text_size(text).find("warning"), std::string::npos);
    } else {
      // Cyrillic: UCS-2; the original backend's text plus the WebOTP line passes 70 units.
      EXPECT_EQ(text.size.encoding, SmsEncoding::ucs2) << text.locale;
      EXPECT_EQ(text.size.segments, 2u) << text.locale;
      EXPECT_NE(describe_sms_text_size(text).find("warning: more than one segment"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace sms_auth
