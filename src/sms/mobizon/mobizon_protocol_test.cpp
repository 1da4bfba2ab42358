// Mobizon protocol: the envelope parser, the answer-code table, the operator sentences, URL and form encoding.
#include "sms/mobizon/mobizon_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sms_auth::mobizon {
namespace {

using nlohmann::json;

ApiEndpoint kz() {
  return *parse_api_url("https://api.mobizon.kz/service");
}

TEST(ParseEnvelope, ReadsTheDocumentedSuccessWithStringIds) {
  const auto answer =
      parse_envelope(R"({"code":0,"data":{"campaignId":"855834","status":2,"messageId":"6300284"},"message":""})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->code, 0);
  EXPECT_EQ(answer->message, "");
  const auto sent = parse_send_data(answer->data);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->message_id, "6300284");
  EXPECT_EQ(sent->campaign_id, "855834");
  EXPECT_FALSE(sent->held_for_moderation());
}

TEST(ParseEnvelope, AcceptsTheCodeAsANumericString) {
  const auto answer = parse_envelope(R"({"code":"8","data":[],"message":"failed.api.auth"})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->code, 8);
  EXPECT_TRUE(answer->data.is_array());
  EXPECT_EQ(answer->message, "failed.api.auth");
}

TEST(ParseEnvelope, RefusesWhatIsNotAnEnvelope) {
  EXPECT_FALSE(parse_envelope("<html>502 Bad Gateway</html>"));
  EXPECT_FALSE(parse_envelope(""));
  EXPECT_FALSE(parse_envelope("[1,2,3]"));
  EXPECT_FALSE(parse_envelope(R"({"data":{}})"));
  EXPECT_FALSE(parse_envelope(R"({"code":"eight"})"));
  EXPECT_FALSE(parse_envelope(R"({"code":1.5})"));
  EXPECT_FALSE(parse_envelope(R"({"code":0} trailing)"));
  EXPECT_FALSE(parse_envelope(R"({"code":0,"data":)" + std::string(100, '[') + std::string(100, ']') + "}"));
}

TEST(ParseEnvelope, ToleratesAMissingDataOrMessage) {
  const auto answer = parse_envelope(R"({"code":999})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->code, 999);
  EXPECT_TRUE(answer->data.is_null());
}

TEST(IdText, TakesStringsAndWholeNumbers) {
  EXPECT_EQ(id_text(json("6300284")), "6300284");
  EXPECT_EQ(id_text(json(6300284)), "6300284");
  EXPECT_EQ(id_text(json(18446744073709551615ULL)), "18446744073709551615");
  EXPECT_FALSE(id_text(json("")));
  EXPECT_FALSE(id_text(json(nullptr)));
  EXPECT_FALSE(id_text(json::object()));
}

TEST(ParseSendData, ReadsNumericIdsAndModerationStatus) {
  const auto sent = parse_send_data(json{{"campaignId", 855834}, {"messageId", 6300284}, {"status", "1"}});
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->message_id, "6300284");
  EXPECT_TRUE(sent->held_for_moderation());
  EXPECT_FALSE(parse_send_data(json{{"campaignId", "1"}}));
  EXPECT_FALSE(parse_send_data(json("6300284")));
}

TEST(ParseBalanceData, KeepsTheAmountTextAsSent) {
  const auto balance = parse_balance_data(json{{"balance", "4043.0656"}, {"currency", "KZT"}});
  ASSERT_TRUE(balance);
  EXPECT_EQ(balance->amount, "4043.0656");
  EXPECT_EQ(balance->currency, "KZT");
  const auto numeric = parse_balance_data(json{{"balance", 6.5}, {"currency", "KZT"}});
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->amount, "6.5");
  EXPECT_FALSE(parse_balance_data(json{{"currency", "KZT"}}));
  EXPECT_FALSE(parse_balance_data(json{{"balance", "lots"}, {"currency", "KZT"}}));
}

TEST(ParseStatusData, ReadsItemsAndSkipsIncompleteOnes) {
  const auto statuses = parse_status_data(json::parse(R"([
    {"id":"6300284","status":"DELIVRD","segNum":"2","startSendTs":"2021-09-04 13:28:20","statusUpdateTs":"2021-09-04 13:28:29"},
    {"id":6300285,"status":"ACCEPTD","segNum":1,"startSendTs":null,"statusUpdateTs":null},
    {"id":"6300286"},
    "garbage"
  ])"));
  ASSERT_TRUE(statuses);
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_EQ((*statuses)[0].message_id, "6300284");
  EXPECT_TRUE((*statuses)[0].final);
  EXPECT_EQ((*statuses)[0].segments, 2);
  EXPECT_EQ((*statuses)[0].gateway_updated_at, "2021-09-04 13:28:29");
  EXPECT_EQ((*statuses)[1].message_id, "6300285");
  EXPECT_FALSE((*statuses)[1].final);
  EXPECT_EQ((*statuses)[1].gateway_updated_at, "");
  EXPECT_TRUE(parse_status_data(json(nullptr))->empty());
  EXPECT_FALSE(parse_status_data(json("DELIVRD")));
}

TEST(IsFinalStatus, OnlyTheFiveDocumentedFinalWords) {
  for (const char* status : {"DELIVRD", "UNDELIV", "REJECTD", "EXPIRED", "DELETED"})
    EXPECT_TRUE(is_final_status(status));
  for (const char* status : {"NEW", "ENQUEUD", "ACCEPTD", "PDLIVRD", "EXPIRD", "SCHEDUL", "delivrd", ""}) {
    EXPECT_FALSE(is_final_status(status)) << status;
  }
}

TEST(CodeTable, MapsEachDocumentedCodeToItsOutcome) {
  EXPECT_EQ(rule_for_code(0).action, CodeAction::success);
  EXPECT_EQ(rule_for_code(100).action, CodeAction::success);
  EXPECT_EQ(rule_for_code(1).action, CodeAction::reject);
  for (int code : {8, 9, 13, 14}) {
    EXPECT_EQ(rule_for_code(code).action, CodeAction::unavailable) << code;
    EXPECT_TRUE(rule_for_code(code).operator_must_act) << code;
  }
  for (int code : {10, 30, 999}) EXPECT_EQ(rule_for_code(code).action, CodeAction::retry) << code;
  for (int code : {2, 3, 4, 5, 6, 11, 12, 15, 98, 99}) {
    EXPECT_EQ(rule_for_code(code).action, CodeAction::unavailable) << code;
    EXPECT_FALSE(rule_for_code(code).operator_must_act) << code;
  }
  // Undocumented codes (there is no 7) are failures, never success.
  EXPECT_EQ(rule_for_code(7).action, CodeAction::unavailable);
  EXPECT_EQ(rule_for_code(-1).action, CodeAction::unavailable);
  EXPECT_EQ(rule_for_code(12345).action, CodeAction::unavailable);
  EXPECT_FALSE(rule_for_code(7).documented);
  EXPECT_TRUE(rule_for_code(999).documented);
}

std::string explain(int code, json data, std::string message = "", std::string sender = "") {
  return explain_code(Envelope{code, std::move(data), std::move(message)}, "message/sendsmsmessage", kz(), sender);
}

TEST(ExplainCode, NamesCauseAndFixForEachOperatorCode) {
  EXPECT_NE(explain(8, json::array(), "failed.api.auth").find("MOBIZON_API_KEY was refused"), std::string::npos);
  EXPECT_NE(explain(8, json::array(), "failed.api.auth").find("failed.api.auth"), std::string::npos);
  EXPECT_NE(explain(9, nullptr).find("IP whitelist"), std::string::npos);
  EXPECT_NE(explain(14, nullptr).find("blocked or deleted"), std::string::npos);
  EXPECT_NE(explain(30, nullptr).find("retried with backoff"), std::string::npos);
  EXPECT_NE(explain(4, nullptr).find("please report"), std::string::npos);
}

TEST(ExplainCode, Code13NamesTheRightSiteFromData) {
  EXPECT_NE(explain(13, "api.mobizon.ua").find("set MOBIZON_API_URL=https://api.mobizon.ua/service"),
            std::string::npos);
  EXPECT_NE(
      explain(13, json{{"server", "https://API.mobizon.com.br/service"}}).find("https://api.mobizon.com.br/service"),
      std::string::npos);
  // Nothing usable in data: say so and list the sites, never echo junk as a host.
  const auto vague = explain(13, "not a host; rm -rf /");
  EXPECT_NE(vague.find("did not say which"), std::string::npos);
  EXPECT_EQ(vague.find("rm -rf"), std::string::npos);
}

TEST(ExplainCode, Code1ListsTheFieldsAndTheSender) {
  const auto text =
      explain(1, json{{"recipient", "wrong number"}}, "Одно или несколько полей заполнены неверно", "Memoir");
  EXPECT_NE(text.find("fields: recipient (wrong number)"), std::string::npos);
  EXPECT_NE(text.find("SMS_SENDER \"Memoir\""), std::string::npos);
  EXPECT_NE(text.find("sms-auth balance"), std::string::npos);
}

TEST(ExplainCode, KeepsMobizonTextOnOneLine) {
  const auto text = explain(3, nullptr, "line one\nFAKE LOG LINE");
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(FormEncode, EncodesUtf8TextAndReservedCharacters) {
  EXPECT_EQ(form_encode({{"recipient", "77472367503"}, {"text", "Код: 598000\n\nOK & = +"}, {"from", "Memoir"}}),
            "recipient=77472367503&text=%D0%9A%D0%BE%D0%B4%3A+598000%0A%0AOK+%26+%3D+%2B&from=Memoir");
  EXPECT_EQ(form_encode({{"ids[0]", "1"}, {"ids[1]", "2"}}), "ids%5B0%5D=1&ids%5B1%5D=2");
  EXPECT_EQ(form_encode({}), "");
}

TEST(RequestTarget, PutsOnlyOutputApiAndKeyInTheQuery) {
  EXPECT_EQ(request_target(kz(), "message/sendsmsmessage", "abc123"),
            "/service/message/sendsmsmessage?output=json&api=v1&apiKey=abc123");
}

TEST(ParseApiUrl, AcceptsEachSiteAndPorts) {
  const auto kz_site = kz();
  EXPECT_EQ(kz_site.host, "api.mobizon.kz");
  EXPECT_EQ(kz_site.port, "443");
  EXPECT_EQ(kz_site.base_path, "/service");
  EXPECT_EQ(kz_site.host_header(), "api.mobizon.kz");
  EXPECT_FALSE(kz_site.host_is_ip);
  const auto local = parse_api_url("https://LOCALHOST:8443/service/");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->host, "localhost");
  EXPECT_EQ(local->port, "8443");
  EXPECT_EQ(local->base_path, "/service");
  EXPECT_EQ(local->host_header(), "localhost:8443");
  const auto ip = parse_api_url("https://127.0.0.1:9/service");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->host_is_ip);
  const auto ipv6 = parse_api_url("https://[::1]:9/service");
  ASSERT_TRUE(ipv6);
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->host_header(), "[::1]:9");
}

TEST(ParseApiUrl, RefusesAnythingButPlainHttps) {
  for (const char* url : {"http://api.mobizon.kz/service", "https://api.mobizon.kz/service?apiKey=x",
                          "https://user:pass@api.mobizon.kz/service", "https://api.mobizon.kz:0/service",
                          "https://api.mobizon.kz:99999/service", "https:///service", "https://bad_host/service",
                          "https://api.mobizon.kz/ser vice", "https://api.mobizon.kz/service#x"}) {
    EXPECT_FALSE(parse_api_url(url)) << url;
  }
}

}  // namespace
}  // namespace sms_auth::mobizon
