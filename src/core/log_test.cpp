// Log helpers (masking, control characters, key redaction) and the lines the installed logger writes in each format.
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// What the process logger writes to stderr while `emit` runs, line by line, and the payload of each record it logs
// (both renderings, "<text>\0<JSON>", the one the formatter does not read left empty); the logger in place before is
// put back.
struct Written {
  std::vector<std::string> lines;
  std::vector<std::string> payloads;
};

std::vector<std::string> lines_of(std::istream& in) {
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

template <class Emit>
Written written_by(const LogOptions& options, Emit emit) {
  const auto previous = spdlog::default_logger();
  char path[] = "/tmp/sms-auth-log-test-XXXXXX";
  const int capture = mkstemp(path);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(capture, STDERR_FILENO);
  init_logging(options);
  std::ostringstream raw;
  auto payload_sink = std::make_shared<spdlog::sinks::ostream_sink_st>(raw);
  payload_sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%v"));
  spdlog::default_logger()->sinks().push_back(payload_sink);
  emit();
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(capture);
  spdlog::set_default_logger(previous);
  std::ifstream file(path, std::ios::binary);
  Written written{lines_of(file), {}};
  std::istringstream payloads(raw.str());
  written.payloads = lines_of(payloads);
  std::remove(path);
  return written;
}

void emit_three_events() {
  log_event(LogLevel::info, LogContext{"req-9"}, "auth.send", {{"result", "ok"}, {"phone", "+7747***7503"}});
  log_event_as(LogLevel::info, LogContext{"req-9"}, "[MOBIZON] TEST MODE - SMS not sent (to +7747***7503)",
               "sms.test_mode", {{"phone", "+7747***7503"}});
  log_event(LogLevel::debug, {}, "below.the.level", {{"n", 1}});
}

// log_event renders only the format the installed logger writes (the payloads show what was rendered), and each
// line is still whole in that format.
TEST(LogEvent, TextLoggerWritesEachEventAsOneTextLineWithoutTheJsonRendering) {
  const auto written = written_by(LogOptions{"info", false}, emit_three_events);
  ASSERT_EQ(written.lines.size(), 2u);
  EXPECT_NE(written.lines[0].find(" info auth.send ok phone=+7747***7503 request_id=req-9"), std::string::npos)
      << written.lines[0];
  EXPECT_NE(written.lines[1].find(" info [MOBIZON] TEST MODE - SMS not sent (to +7747***7503)"), std::string::npos)
      << written.lines[1];
  for (const auto& line : written.lines) {
    EXPECT_EQ(line.find('\0'), std::string::npos);
    EXPECT_EQ(line.find('{'), std::string::npos) << line;
  }
  ASSERT_EQ(written.payloads.size(), 2u);
  for (const auto& payload : written.payloads) {
    EXPECT_EQ(payload.find('\0'), payload.size() - 1) << "a JSON rendering was made for a text logger: " << payload;
  }
}

TEST(LogEvent, JsonLoggerWritesEachEventAsOneJsonObjectWithoutTheTextRendering) {
  const auto written = written_by(LogOptions{"info", true}, emit_three_events);
  ASSERT_EQ(written.lines.size(), 2u);
  const auto send = nlohmann::json::parse(written.lines[0]);
  EXPECT_EQ(send["level"], "info");
  EXPECT_EQ(send["event"], "auth.send");
  EXPECT_EQ(send["result"], "ok");
  EXPECT_EQ(send["phone"], "+7747***7503");
  EXPECT_EQ(send["request_id"], "req-9");
  const auto test_mode = nlohmann::json::parse(written.lines[1]);
  EXPECT_EQ(test_mode["event"], "sms.test_mode");
  EXPECT_EQ(test_mode["phone"], "+7747***7503");
  for (const auto& line : written.lines) {
    EXPECT_EQ(line.find('\0'), std::string::npos);
    EXPECT_EQ(line.find("[MOBIZON]"), std::string::npos) << line;
  }
  ASSERT_EQ(written.payloads.size(), 2u);
  for (const auto& payload : written.payloads) {
    EXPECT_EQ(payload.find('\0'), 0u) << "a text rendering was made for a JSON logger: " << payload;
  }
}

}  // namespace
}  // namespace sms_auth
