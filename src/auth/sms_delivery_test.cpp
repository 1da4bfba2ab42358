// SmsDelivery over a scripted gateway and a real SQLite file (through the storage engine): recording, polling in batches, reports, balance.
#include "auth/sms_delivery.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "core/crypto.hpp"
#include "core/run_to_completion.hpp"
#include "storage/sqlite/sqlite_repository.hpp"
#include "testing/manual_clock.hpp"

namespace sms_auth {
namespace {

template <class T>
T run(awaitable<T> work) {
  return run_to_completion(std::move(work));
}

class ScriptedGateway final : public SmsGateway {
 public:
  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override {
    if (failure) co_return SendFailure{SendOutcome::not_accepted, *failure};
    sent.push_back(sms);
    co_return SentSms{std::to_string(next_id++), moderation, ""};
  }
  awaitable<result<GatewayBalance>> balance() override {
    if (failure) co_return *failure;
    co_return GatewayBalance{"4043.0656", "KZT"};
  }
  awaitable<result<std::vector<SmsDeliveryStatus>>> delivery_statuses(std::vector<std::string> ids) override {
    if (failure) co_return *failure;
    asked.push_back(ids);
    std::vector<SmsDeliveryStatus> out;
    for (const auto& id : ids) {
      if (const auto it = statuses.find(id); it != statuses.end()) {
        out.push_back(SmsDeliveryStatus{id, it->second, it->second == "DELIVRD", 1, ""});
      }
    }
    co_return out;
  }
  std::size_t max_status_batch() const override { return 2; }
  std::string_view name() const override { return "mobizon"; }

  std::optional<Error> failure;
  bool moderation = false;
  int next_id = 100;
  std::vector<OutgoingSms> sent;
  std::map<std::string, std::string> statuses;
  std::vector<std::vector<std::string>> asked;
};

class SmsDeliveryTest : public ::testing::Test {
 protected:
  SmsDeliveryTest()
      : path_(std::filesystem::temp_directory_path() / ("sms-auth-test-" + random_uuid()) / "db.sqlite"),
        storage_(sqlite_storage_backend(path_.string())),
        delivery_(&gateway_, storage_, clock_, metrics_, SmsDeliveryOptions{}) {
    storage_.run_blocking([](Repository& connection) { connection.migrate(); });
  }
  ~SmsDeliveryTest() override { std::filesystem::remove_all(path_.parent_path()); }

  std::string send(const std::string& phone) {
    auto sent = run(delivery_.send(OutgoingSms{phone, "Ваш код: 123456"}));
    EXPECT_TRUE(sent);
    return sent ? sent->message_id : std::string{};
  }
  bool metric_has(const std::string& line) { return metrics_.render().find(line + "\n") != std::string::npos; }

  std::filesystem::path path_;
  ScriptedGateway gateway_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  StorageEngine storage_;
  SmsDelivery delivery_;
};

TEST_F(SmsDeliveryTest, ASentMessageIsRecorded) {
  gateway_.moderation = true;
  const auto id = send("+77472367503");
  const auto listed = run(delivery_.recent_messages("+77472367503"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].message_id, id);
  EXPECT_EQ(listed[0].status, kSmsStatusSent);
  EXPECT_TRUE(listed[0].held_for_moderation);
  EXPECT_EQ(listed[0].sent_at, clock_.now());
  EXPECT_TRUE(metric_has("sms_auth_sms_held_for_moderation_total 1"));
  EXPECT_EQ(listed[0].gateway, "mobizon");  // the gateway's own name when no failover list names another
  EXPECT_TRUE(metric_has("sms_auth_sms_sent_total{gateway=\"mobizon\"} 1"));
}

TEST_F(SmsDeliveryTest, AFailedSendRecordsNothingAndPassesTheErrorOn) {
  Error unavailable = make_error(errc::sms_unavailable, "down");
  unavailable.retry_after_seconds = 30;
  gateway_.failure = unavailable;
  const auto sent = run(delivery_.send(OutgoingSms{"+77472367503", "text"}));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().error.code, errc::sms_unavailable);
  EXPECT_EQ(sent.error().error.retry_after_seconds, 30);
  EXPECT_TRUE(run(delivery_.recent_messages("+77472367503")).empty());
}

TEST_F(SmsDeliveryTest, PollingAsksOneBatchAtATimeAndCountsFinalStatusesOnce) {
  const auto a = send("+77472367503");
  const auto b = send("+77472367503");
  const auto c = send("+77472367503");
  gateway_.statuses[a] = "DELIVRD";
  gateway_.statuses[b] = "ACCEPTD";
  EXPECT_EQ(run(delivery_.poll_statuses()).value(), 2u);
  ASSERT_EQ(gateway_.asked.size(), 1u);
  EXPECT_EQ(gateway_.asked[0], (std::vector<std::string>{a, b}));  // at most max_status_batch() ids
  clock_.advance(std::chrono::seconds(60));
  EXPECT_EQ(run(delivery_.poll_statuses()).value(), 0u);
  EXPECT_EQ(gateway_.asked[1], (std::vector<std::string>{c, b}));  // the final one is not asked again
  EXPECT_TRUE(metric_has("sms_auth_sms_delivery_final_total{status=\"DELIVRD\"} 1"));
  // The webhook reporting the same final status again changes nothing and is not counted twice.
  EXPECT_EQ(run(delivery_.apply_report("26", SmsDeliveryStatus{a, "DELIVRD", true, 1, ""}, clock_.now())),
            SmsStatusApplied::unchanged);
  EXPECT_TRUE(metric_has("sms_auth_sms_delivery_final_total{status=\"DELIVRD\"} 1"));
}

TEST_F(SmsDeliveryTest, PollingPassesGatewayFailuresOnAndKeepsTrying) {
  send("+77472367503");
  gateway_.failure = make_error(errc::sms_unavailable, "down");
  EXPECT_FALSE(run(delivery_.poll_statuses()));
  gateway_.failure.reset();
  EXPECT_TRUE(run(delivery_.poll_statuses()));
  EXPECT_EQ(gateway_.asked.size(), 1u);
}

TEST_F(SmsDeliveryTest, MessagesOlderThanTheTrackingWindowAreNotPolled) {
  send("+77472367503");
  clock_.advance(std::chrono::hours(49));
  EXPECT_EQ(run(delivery_.poll_statuses()).value(), 0u);
  EXPECT_TRUE(gateway_.asked.empty());
}

TEST_F(SmsDeliveryTest, AReportCreatedOutsideTheReplayWindowIsIgnored) {
  const auto id = send("+77472367503");
  const SmsDeliveryStatus delivered{id, "DELIVRD", true, 1, ""};
  EXPECT_EQ(run(delivery_.apply_report("1", delivered, clock_.now() - std::chrono::minutes(11))),
            SmsStatusApplied::stale_event);
  EXPECT_EQ(run(delivery_.apply_report("2", delivered, clock_.now() + std::chrono::minutes(5))),
            SmsStatusApplied::stale_event);
  EXPECT_EQ(run(delivery_.recent_messages("+77472367503"))[0].status, kSmsStatusSent);
  EXPECT_TRUE(metric_has("sms_auth_sms_status_reports_total{result=\"stale_event\",source=\"webhook\"} 2"));
  EXPECT_EQ(run(delivery_.apply_report("3", delivered, clock_.now() - std::chrono::minutes(9))),
            SmsStatusApplied::became_final);
}

TEST_F(SmsDeliveryTest, AReportForAnUnknownMessageIsIgnored) {
  EXPECT_EQ(run(delivery_.apply_report("1", SmsDeliveryStatus{"999", "DELIVRD", true, 1, ""}, clock_.now())),
            SmsStatusApplied::unknown_message);
  EXPECT_TRUE(metric_has("sms_auth_sms_status_reports_total{result=\"unknown_message\",source=\"webhook\"} 1"));
}

TEST_F(SmsDeliveryTest, CheckingTheBalanceSetsTheGauge) {
  const auto balance = run(delivery_.check_balance());
  ASSERT_TRUE(balance);
  EXPECT_EQ(balance->amount, "4043.0656");
  EXPECT_NE(metrics_.render().find("sms_auth_sms_balance{currency=\"KZT\"} 4043.06"), std::string::npos);
}

TEST(SmsDeliveryWithoutGateway, BalanceIsUnavailableAndPollingIsANoOp) {
  const auto path = std::filesystem::temp_directory_path() / ("sms-auth-test-" + random_uuid()) / "db.sqlite";
  {
    StorageEngine storage(sqlite_storage_backend(path.string()));
    storage.run_blocking([](Repository& connection) { connection.migrate(); });
    ManualClock clock;
    MetricsRegistry metrics;
    SmsDelivery delivery(nullptr, storage, clock, metrics, SmsDeliveryOptions{});
    EXPECT_FALSE(delivery.has_gateway());
    const auto balance = run(delivery.check_balance());
    ASSERT_FALSE(balance);
    EXPECT_EQ(balance.error().code, errc::sms_unavailable);
    EXPECT_EQ(run(delivery.poll_statuses()).value(), 0u);
  }
  std::filesystem::remove_all(path.parent_path());
}

}  // namespace
}  // namespace sms_auth
