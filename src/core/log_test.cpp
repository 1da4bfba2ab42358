// Log helpers: masking, control characters, key redaction.
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(LogEvent, TextReadsEventResultFieldsRequestIdAndMessage) {
  const LogContext context{"0123abcd"};
  EXPECT_EQ(render_event_text(context, "auth.verify",
                              {{"result", "failed"}, {"phone", "+7747***7503"}, {"client", "127.0.0.1"},
                               {"attempts_left", 2}, {"new_user", false}},
                              ""),
            "auth.verify failed phone=+7747***7503 ip=127.0.0.1 attempts_left=2 new_user=false request_id=0123abcd");
  EXPECT_EQ(render_event_text({}, "http.access", {{"duration_ms", 1.23456}}, "the rest"),
            "http.access duration_ms=1.235: the rest");
}

TEST(LogEvent, TextQuotesValuesThatAreNotOneWord) {
  EXPECT_EQ(render_event_text({}, "auth.token", {{"reason", "bad \"sig\" here"}, {"empty", ""}}, ""),
            "auth.token reason=\"bad \\\"sig\\\" here\" empty=\"\"");
}

TEST(LogEvent, JsonHasEveryFieldAsAMemberWithItsType) {
  const LogContext context{"req-1"};
  const auto line = nlohmann::json::parse(render_event_json(
      context, "http.access",
      {{"method", "POST"}, {"status", 200}, {"duration_ms", 1.23456}, {"client", "::1"}, {"keep", true}}, ""));
  EXPECT_EQ(line["event"], "http.access");
  EXPECT_EQ(line["request_id"], "req-1");
  EXPECT_EQ(line["method"], "POST");
  EXPECT_EQ(line["status"], 200);
  EXPECT_DOUBLE_EQ(line["duration_ms"].get<double>(), 1.235);
  EXPECT_EQ(line["client"], "::1");
  EXPECT_EQ(line["keep"], true);
  EXPECT_FALSE(line.contains("msg"));
}

TEST(LogEvent, JsonStaysOneLineAndValidWhateverTheValues) {
  const std::string text = render_event_json({}, "x", {{"detail", "line\nbreak \"quoted\" \xff"}}, "why");
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto line = nlohmann::json::parse(text);
  EXPECT_EQ(line["msg"], "why");
  EXPECT_FALSE(line.contains("request_id"));  // outside a request
}

}  // namespace
}  // namespace sms_auth
