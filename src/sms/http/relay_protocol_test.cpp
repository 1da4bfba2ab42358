// The relay contract: the body, the signature a relay can recompute, and the answer table.
#include "sms/http/relay_protocol.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sms_auth::relay {
namespace {

TEST(RelayProtocol, BodyCarriesRecipientTextSenderAndId) {
  const auto body = nlohmann::json::parse(request_body("77472367503", "Код 123456\n", "Memoir", "abc-1"));
  EXPECT_EQ(body, (nlohmann::json{{"recipient", "77472367503"}, {"text", "Код 123456\n"}, {"sender", "Memoir"},
                                  {"id", "abc-1"}}));
  const auto no_sender = nlohmann::json::parse(request_body("77472367503", "x", "", "abc-2"));
  EXPECT_TRUE(no_sender.at("sender").is_null());
}

TEST(RelayProtocol, SignatureIsHmacSha256OfTimestampDotBody) {
  // Recomputed independently: printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac <secret>
  EXPECT_EQ(signature_header("0123456789abcdef0123456789abcdef", 1700000000, R"({"a":1})"),
            "t=1700000000,v1=f05f2539e3ae1c49aec5f8cfdad75ef6b06480b133973ffbb7ec9e18827af177");
}

TEST(RelayProtocol, TwoHundredWithAMessageIdIsSent) {
  const auto answer = classify_answer(200, R"({"message_id":"r-42"})");
  EXPECT_EQ(answer.kind, AnswerKind::sent);
  EXPECT_EQ(answer.message_id, "r-42");
  EXPECT_EQ(classify_answer(202, R"({"message_id":42})").message_id, "42");
}

TEST(RelayProtocol, TwoHundredWithoutAnIdMayHaveBeenSent) {
  EXPECT_EQ(classify_answer(200, "ok").kind, AnswerKind::unreadable);
  EXPECT_EQ(classify_answer(200, R"({"message_id":""})").kind, AnswerKind::unreadable);
  EXPECT_EQ(classify_answer(200, R"({"message_id":null})").kind, AnswerKind::unreadable);
  EXPECT_EQ(classify_answer(200, R"({"message_id":")" + std::string(129, 'x') + R"("})").kind,
            AnswerKind::unreadable);
}

TEST(RelayProtocol, FourHundredsRefuseTheNumberExceptAuthAndBusy) {
  const auto refused = classify_answer(422, R"({"error":"number not served"})");
  EXPECT_EQ(refused.kind, AnswerKind::refused);
  EXPECT_EQ(refused.reason, "http_422");
  EXPECT_EQ(refused.detail, "number not served");
  EXPECT_EQ(classify_answer(400, "").kind, AnswerKind::refused);
  EXPECT_EQ(classify_answer(401, "").kind, AnswerKind::not_accepted);
  EXPECT_EQ(classify_answer(403, "").kind, AnswerKind::not_accepted);
  EXPECT_EQ(classify_answer(429, "").kind, AnswerKind::not_accepted);
}

TEST(RelayProtocol, FiveHundredsAreOutages) {
  EXPECT_EQ(classify_answer(500, "").kind, AnswerKind::not_accepted);
  EXPECT_EQ(classify_answer(503, R"({"error":"upstream down"})").detail, "upstream down");
  EXPECT_EQ(classify_answer(302, "").kind, AnswerKind::unreadable);
}

}  // namespace
}  // namespace sms_auth::relay
