// SqliteRepository as SmsMessageLog: recording, claiming for polls, status rules (final stays final), webhook events.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

class SqliteSmsMessages : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("sms-auth-test-" + random_uuid()) / "db.sqlite";
    repository_ = std::make_unique<SqliteRepository>(path_.string());
    repository_->migrate();
  }
  void TearDown() override {
    repository_.reset();
    std::filesystem::remove_all(path_.parent_path());
  }

  void sent(const std::string& id, const std::string& phone, std::int64_t at_ms) {
    repository_->record_sent_sms(SentSmsRecord{id, phone, "SENT", false, from_unix_ms(at_ms), "mobizon"});
  }
  SmsMessageRecord only(const std::string& phone) {
    auto records = repository_->recent_sms(phone, 10);
    EXPECT_EQ(records.size(), 1u);
    return records.at(0);
  }

  std::filesystem::path path_;
  std::unique_ptr<SqliteRepository> repository_;
};

TEST_F(SqliteSmsMessages, RecordsAndListsNewestFirst) {
  sent("1", "+77472367503", 1000);
  sent("2", "+77472367503", 2000);
  sent("3", "+77012345678", 3000);
  sent("1", "+77000000000", 9000);  // a repeated id keeps the first record
  const auto listed = repository_->recent_sms("+77472367503", 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].message_id, "2");
  EXPECT_EQ(listed[1].message_id, "1");
  EXPECT_EQ(listed[1].status, "SENT");
  EXPECT_FALSE(listed[1].final);
  EXPECT_EQ(to_unix_ms(listed[1].sent_at), 1000);
  EXPECT_EQ(repository_->recent_sms("+77472367503", 1).size(), 1u);
}

TEST_F(SqliteSmsMessages, ClaimsNonFinalMessagesLeastRecentlyCheckedFirst) {
  for (int i = 1; i <= 5; ++i) sent(std::to_string(i), "+77472367503", 1000 * i);
  const auto first = repository_->claim_sms_to_check(from_unix_ms(10000), from_unix_ms(0), 3, "mobizon");
  EXPECT_EQ(first, (std::vector<std::string>{"1", "2", "3"}));
  const auto second = repository_->claim_sms_to_check(from_unix_ms(11000), from_unix_ms(0), 3, "mobizon");
  EXPECT_EQ(second, (std::vector<std::string>{"4", "5", "1"}));
  // Final messages and those sent before the tracking window are not claimed.
  repository_->apply_sms_statuses({{"4", "DELIVRD", true, 1, ""}}, from_unix_ms(12000));
  const auto third = repository_->claim_sms_to_check(from_unix_ms(13000), from_unix_ms(1500), 10, "mobizon");
  EXPECT_EQ(third, (std::vector<std::string>{"2", "3", "5"}));
}

TEST_F(SqliteSmsMessages, EachMessageKeepsItsGatewayAndOnlyThatGatewaysMessagesAreClaimed) {
  sent("m1", "+77472367503", 1000);
  repository_->record_sent_sms(SentSmsRecord{"r1", "+77472367503", "SENT", false, from_unix_ms(2000), "http"});
  const auto listed = repository_->recent_sms("+77472367503", 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].gateway, "http");
  EXPECT_EQ(listed[1].gateway, "mobizon");
  EXPECT_EQ(repository_->claim_sms_to_check(from_unix_ms(5000), from_unix_ms(0), 10, "mobizon"),
            std::vector<std::string>{"m1"});
  EXPECT_EQ(repository_->claim_sms_to_check(from_unix_ms(5000), from_unix_ms(0), 10, "http"),
            std::vector<std::string>{"r1"});
}

TEST_F(SqliteSmsMessages, AFinalStatusIsNeverReplaced) {
  sent("1", "+77472367503", 1000);
  const auto applied = repository_->apply_sms_statuses({{"1", "ACCEPTD", false, 0, ""},
                                                        {"1", "DELIVRD", true, 2, "2026-01-15 11:42:08"},
                                                        {"1", "UNDELIV", true, 0, ""},
                                                        {"404", "DELIVRD", true, 0, ""}},
                                                       from_unix_ms(5000));
  EXPECT_EQ(applied, (std::vector<SmsStatusApplied>{SmsStatusApplied::changed, SmsStatusApplied::became_final,
                                                    SmsStatusApplied::unchanged, SmsStatusApplied::unknown_message}));
  const auto record = only("+77472367503");
  EXPECT_EQ(record.status, "DELIVRD");
  EXPECT_TRUE(record.final);
  EXPECT_EQ(record.segments, 2);
  EXPECT_EQ(record.gateway_updated_at, "2026-01-15 11:42:08");
  EXPECT_EQ(to_unix_ms(record.status_changed_at), 5000);
}

TEST_F(SqliteSmsMessages, TheSameStatusAgainIsUnchanged) {
  sent("1", "+77472367503", 1000);
  EXPECT_EQ(repository_->apply_sms_statuses({{"1", "NEW", false, 0, ""}}, from_unix_ms(2000))[0],
            SmsStatusApplied::changed);
  EXPECT_EQ(repository_->apply_sms_statuses({{"1", "NEW", false, 0, ""}}, from_unix_ms(3000))[0],
            SmsStatusApplied::unchanged);
  EXPECT_EQ(to_unix_ms(only("+77472367503").status_changed_at), 2000);
}

TEST_F(SqliteSmsMessages, AWebhookEventAppliesOnce) {
  sent("1", "+77472367503", 1000);
  const SmsStatusUpdate delivered{"1", "DELIVRD", true, 1, ""};
  EXPECT_EQ(repository_->apply_sms_report("26", delivered, from_unix_ms(2000)), SmsStatusApplied::became_final);
  EXPECT_EQ(repository_->apply_sms_report("26", delivered, from_unix_ms(3000)), SmsStatusApplied::duplicate_event);
  // An event for a message we do not know is remembered too: replayed with other data, it changes nothing.
  EXPECT_EQ(repository_->apply_sms_report("27", {"999", "DELIVRD", true, 1, ""}, from_unix_ms(3000)),
            SmsStatusApplied::unknown_message);
  sent("2", "+77012345678", 3500);
  EXPECT_EQ(repository_->apply_sms_report("27", {"2", "UNDELIV", true, 1, ""}, from_unix_ms(4000)),
            SmsStatusApplied::duplicate_event);
  EXPECT_EQ(only("+77012345678").status, "SENT");
}

TEST_F(SqliteSmsMessages, PruneForgetsOldMessagesAndEvents) {
  sent("1", "+77472367503", 1000);
  sent("2", "+77472367503", 5000);
  repository_->apply_sms_report("26", {"2", "DELIVRD", true, 1, ""}, from_unix_ms(6000));
  EXPECT_EQ(repository_->prune_sms(from_unix_ms(2000), from_unix_ms(7000)), 2u);
  const auto listed = repository_->recent_sms("+77472367503", 10);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].message_id, "2");
  // The event id was forgotten, so it could apply again (to a non-final message).
  sent("3", "+77472367503", 8000);
  EXPECT_EQ(repository_->apply_sms_report("26", {"3", "ACCEPTD", false, 1, ""}, from_unix_ms(9000)),
            SmsStatusApplied::changed);
}

TEST_F(SqliteSmsMessages, MigrationTwoIsApplied) {
  EXPECT_GE(repository_->schema_version(), 2);
  EXPECT_EQ(repository_->schema_version(), repository_->expected_schema_version());
}

}  // namespace
}  // namespace sms_auth
