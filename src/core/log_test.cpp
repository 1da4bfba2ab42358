// Log helpers: masking, control characters, key redaction.
#include "core/log.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(MaskPhone, KeepsCountryPrefixAndLastFourDigits) { EXPECT_EQ(mask_phone("+77472367503"), "+7747***7503"); }

TEST(LogSafe, EscapesLineBreaksSoAValueStaysOnOneLine) {
  EXPECT_EQ(log_safe("+7747\nFAKE LINE"), "+7747\\x0aFAKE LINE");
  EXPECT_EQ(log_safe("a\rb"), "a\\x0db");
  EXPECT_EQ(log_safe(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(RedactSecrets, HidesApiKeyValuesWhereverTheyAppear) {
  EXPECT_EQ(redact_secrets("GET /service/message/sendsmsmessage?output=json&apiKey=abc123&api=v1"),
            "GET /service/message/sendsmsmessage?output=json&apiKey=***&api=v1");
  EXPECT_EQ(redact_secrets("apikey=zzz"), "apikey=***");
  EXPECT_EQ(redact_secrets("nothing here"), "nothing here");
}

}  // namespace
}  // namespace sms_auth
