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
