// Mobizon webhook: signature (an independent SHA-1 vector), refusals, and the report fields.
#include "sms/mobizon/mobizon_webhook.hpp"

#include <gtest/gtest.h>

namespace sms_auth::mobizon {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "secret123";

// The documented example event (integers as integers), signed with kSecret.
json example_event() {
  return json::parse(R"({
    "eventId": 26, "eventType": "sms-delivery-report", "eventCreateTs": "2026-01-15 11:42:28", "webhookId": 1,
    "attempt": 1,
    "data": {"campaignId": 245455096, "messageId": 169275418, "segNum": 3, "statusUpdateTs": "2026-01-15 11:42:08",
             "status": "DELIVRD", "to": "380737893456"},
    "sign": "5cdebbb611d765bad163d765e8637830b6fd4060"
  })");
}

TEST(WebhookSignature, IsSha1OfTheFieldsAndSecretJoinedByBars) {
  // Computed independently: sha1("26|1|2026-01-15 11:42:28|secret123") with Python's hashlib.
  EXPECT_EQ(webhook_signature("26", "1", "2026-01-15 11:42:28", kSecret), "5cdebbb611d765bad163d765e8637830b6fd4060");
}

TEST(VerifyDeliveryReport, AcceptsAWellSignedReport) {
  const auto report = verify_delivery_report(example_event(), kSecret);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->event_id, "26");
  EXPECT_EQ(report->status.message_id, "169275418");
  EXPECT_EQ(report->status.status, "DELIVRD");
  EXPECT_TRUE(report->status.final);
  EXPECT_EQ(report->status.segments, 3);
  EXPECT_EQ(report->status.gateway_updated_at, "2026-01-15 11:42:08");
  EXPECT_EQ(to_unix_ms(report->created_at), 1768477348000);  // 2026-01-15 11:42:28 UTC
}

TEST(ParseEventTime, ReadsTheGatewaysClockWithItsOffset) {
  EXPECT_EQ(to_unix_ms(*parse_event_time("2026-01-15 11:42:28", std::chrono::minutes{0})), 1768477348000);
  EXPECT_EQ(to_unix_ms(*parse_event_time("2026-01-15 16:42:28", std::chrono::minutes{300})), 1768477348000);
  EXPECT_FALSE(parse_event_time("2026-01-15T11:42:28", std::chrono::minutes{0}));
  EXPECT_FALSE(parse_event_time("2026-13-15 11:42:28", std::chrono::minutes{0}));
  EXPECT_FALSE(parse_event_time("2026-01-15 11:42", std::chrono::minutes{0}));
  EXPECT_FALSE(parse_event_time("", std::chrono::minutes{0}));
}

TEST(VerifyDeliveryReport, AcceptsStringFieldsAndUpperCaseHex) {
  auto event = example_event();
  event["eventId"] = "26";
  event["attempt"] = "1";
  event["sign"] = "5CDEBBB611D765BAD163D765E8637830B6FD4060";
  EXPECT_TRUE(verify_delivery_report(event, kSecret));
}

TEST(VerifyDeliveryReport, RefusesAnythingThatIsNotSignedWithTheSecret) {
  EXPECT_EQ(verify_delivery_report(example_event(), "another-secret").error(), WebhookRefusal::bad_signature);
  EXPECT_EQ(verify_delivery_report(example_event(), "").error(), WebhookRefusal::bad_signature);
  for (const char* field : {"sign", "eventId", "attempt", "eventCreateTs"}) {
    auto event = example_event();
    event.erase(field);
    EXPECT_EQ(verify_delivery_report(event, kSecret).error(), WebhookRefusal::bad_signature) << field;
  }
  auto retried = example_event();
  retried["attempt"] = 2;  // the signature of attempt 1 does not cover attempt 2
  EXPECT_EQ(verify_delivery_report(retried, kSecret).error(), WebhookRefusal::bad_signature);
  for (json sign : {json("5cdebbb6"), json("zz" + std::string(38, '0')), json(12345), json(nullptr)}) {
    auto event = example_event();
    event["sign"] = sign;
    EXPECT_EQ(verify_delivery_report(event, kSecret).error(), WebhookRefusal::bad_signature) << sign.dump();
  }
  EXPECT_EQ(verify_delivery_report(json::array(), kSecret).error(), WebhookRefusal::bad_signature);
}

TEST(VerifyDeliveryReport, SignedButNotADeliveryReportIsIgnored) {
  auto event = example_event();
  event["eventType"] = "form-submission";
  EXPECT_EQ(verify_delivery_report(event, kSecret).error(), WebhookRefusal::not_a_report);
}

TEST(VerifyDeliveryReport, SignedButWithoutMessageOrStatusIsMalformed) {
  for (const char* field : {"messageId", "status"}) {
    auto event = example_event();
    event["data"].erase(field);
    EXPECT_EQ(verify_delivery_report(event, kSecret).error(), WebhookRefusal::malformed) << field;
  }
  auto no_data = example_event();
  no_data.erase("data");
  EXPECT_EQ(verify_delivery_report(no_data, kSecret).error(), WebhookRefusal::malformed);
}

TEST(VerifyDeliveryReport, UnknownStatusWordsAreNotFinal) {
  auto event = example_event();
  event["data"]["status"] = "EXPIRD";
  const auto report = verify_delivery_report(event, kSecret);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->status.final);
}

}  // namespace
}  // namespace sms_auth::mobizon
