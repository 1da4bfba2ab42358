// The SMS locale: tag shape, Accept-Language q-values, and the order body field → header → default.
#include "auth/sms_locale.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(SmsLocale, TagsOfBcp47ShapeAreAccepted) {
  EXPECT_TRUE(is_locale_tag("kk"));
  EXPECT_TRUE(is_locale_tag("kk-KZ"));
  EXPECT_TRUE(is_locale_tag("ru-Cyrl-KZ"));
  EXPECT_TRUE(is_locale_tag("EN-us"));
  EXPECT_FALSE(is_locale_tag(""));
  EXPECT_FALSE(is_locale_tag("k"));
  EXPECT_FALSE(is_locale_tag("kk_KZ"));
  EXPECT_FALSE(is_locale_tag("kk-"));
  EXPECT_FALSE(is_locale_tag("-kk"));
  EXPECT_FALSE(is_locale_tag("kazakh"));
  EXPECT_FALSE(is_locale_tag("kk-toolongsubtag"));
  EXPECT_FALSE(is_locale_tag("kk-a-b-c-d-e"));
  EXPECT_FALSE(is_locale_tag("ru\n"));
}

TEST(SmsLocale, SupportedLocaleIsTheLanguageSubtag) {
  EXPECT_EQ(supported_sms_locale("kk-KZ"), "kk");
  EXPECT_EQ(supported_sms_locale("RU"), "ru");
  EXPECT_EQ(supported_sms_locale("en-GB"), "en");
  EXPECT_EQ(supported_sms_locale("de"), std::nullopt);
  EXPECT_EQ(supported_sms_locale("kk_KZ"), std::nullopt);
}

TEST(SmsLocale, AcceptLanguageTakesTheHighestQualitySupportedLanguage) {
  EXPECT_EQ(preferred_sms_locale("kk-KZ,kk;q=0.9,ru;q=0.8"), "kk");
  EXPECT_EQ(preferred_sms_locale("de-DE, ru;q=0.5, en;q=0.7"), "en");
  EXPECT_EQ(preferred_sms_locale("ru;q=0.3,kk;q=0.9"), "kk");
  EXPECT_EQ(preferred_sms_locale("en;q=1.000, kk"), "en");  // equal quality: the header's order
  EXPECT_EQ(preferred_sms_locale("fr, de;q=0.9"), std::nullopt);
  EXPECT_EQ(preferred_sms_locale(""), std::nullopt);
}

TEST(SmsLocale, ZeroQualityAndMalformedEntriesAreIgnored) {
  EXPECT_EQ(preferred_sms_locale("kk;q=0, en;q=0.1"), "en");
  EXPECT_EQ(preferred_sms_locale("kk;q=0.000"), std::nullopt);
  EXPECT_EQ(preferred_sms_locale("kk;q=2, en;q=0.2"), "en");
  EXPECT_EQ(preferred_sms_locale("kk;q=abc, ru;q=0.1"), "ru");
  EXPECT_EQ(preferred_sms_locale("kk;q=1.5, ru;q=0.1"), "ru");
  EXPECT_EQ(preferred_sms_locale("*, kk;q=0.5"), "kk");
  EXPECT_EQ(preferred_sms_locale(",,;;, en"), "en");
}

TEST(SmsLocale, TheBodyFieldWinsThenTheHeaderThenTheDefault) {
  EXPECT_EQ(choose_sms_locale("en", "kk", "ru"), "en");
  EXPECT_EQ(choose_sms_locale("", "kk-KZ,ru;q=0.5", "ru"), "kk");
  EXPECT_EQ(choose_sms_locale("", "", "kk"), "kk");
  EXPECT_EQ(choose_sms_locale("", "de, fr", "en"), "en");
}

TEST(SmsLocale, AnUnsupportedRequestedLocaleFallsBackToTheDefault) {
  EXPECT_EQ(choose_sms_locale("de", "kk", "ru"), "ru");
  EXPECT_EQ(choose_sms_locale("uz-Latn", "en", "kk"), "kk");
}

}  // namespace
}  // namespace sms_auth
