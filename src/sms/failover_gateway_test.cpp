// Failover across gateways: which failures move on, which stop, the possibly-sent rule, breakers and status routing.
#include "sms/failover_gateway.hpp"
#include "testing/manual_clock.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <optional>

namespace sms_auth {
namespace {

// A gateway that answers from a script: each send pops the next outcome (sent when the script is empty).
class ScriptedGateway final : public SmsGateway {
 public:
  ScriptedGateway(std::string gateway_name, std::size_t status_batch)
      : name_(std::move(gateway_name)), status_batch_(status_batch) {}

  std::deque<std::optional<SendOutcome>> script;  // nullopt: sent
  std::vector<std::string> texts;                  // what it was asked to send
  std::vector<std::vector<std::string>> status_queries;

  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override {
    texts.push_back(sms.text);
    std::optional<SendOutcome> next;
    if (!script.empty()) {
      next = script.front();
      script.pop_front();
    }
    if (!next) co_return SentSms{name_ + "-" + std::to_string(texts.size()), false, ""};
    const errc code = *next == SendOutcome::refused ? errc::sms_rejected : errc::sms_unavailable;
    co_return SendFailure{*next, make_error(code, "scripted")};
  }
  awaitable<result<GatewayBalance>> balance() override { co_return GatewayBalance{"1.00", name_}; }
  awaitable<result<std::vector<SmsDeliveryStatus>>> delivery_statuses(std::vector<std::string> ids) override {
    status_queries.push_back(ids);
    co_return std::vector<SmsDeliveryStatus>{};
  }
  std::size_t max_status_batch() const override { return status_batch_; }
  std::string_view name() const override { return name_; }

 private:
  std::string name_;
  std::size_t status_batch_;
};

template <class T>
awaitable<std::optional<T>> as_optional(awaitable<T> work) {
  co_return co_await std::move(work);
}

// Runs a coroutine to completion on a private io_context (results have no default constructor: no use_future).
template <class T>
T run(awaitable<T> work) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, as_optional(std::move(work)), [&](std::exception_ptr error, std::optional<T> value) {
    failure = error;
    out = std::move(value);
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

class Failover : public ::testing::Test {
 protected:
  FailoverGateway make(int breaker_failures = 5) {
    return FailoverGateway({&mobizon_, &relay_}, FailoverOptions{breaker_failures, std::chrono::seconds{30}}, clock_,
                           metrics_);
  }
  result<SentSms, SendFailure> send(FailoverGateway& gateway) {
    return run(gateway.send(OutgoingSms{"+77472367503", "code 123456"}));
  }

  ManualClock clock_;
  MetricsRegistry metrics_;
  ScriptedGateway mobizon_{"mobizon", 100};
  ScriptedGateway relay_{"http", 0};
};

TEST_F(Failover, TheFirstGatewaySendsWhenItCan) {
  auto gateway = make();
  const auto sent = send(gateway);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->gateway, "mobizon");
  EXPECT_TRUE(relay_.texts.empty());
}

TEST_F(Failover, AnOutageThatSurelyDidNotSendMovesToTheNextGatewayInTheSameSend) {
  for (const auto outage : {SendOutcome::not_accepted, SendOutcome::unreached}) {
    auto gateway = make();
    mobizon_.script = {outage};
    const auto sent = send(gateway);
    ASSERT_TRUE(sent) << send_outcome_name(outage);
    EXPECT_EQ(sent->gateway, "http");
    EXPECT_EQ(relay_.texts.back(), "code 123456");
  }
}

TEST_F(Failover, ARefusedNumberIsNotTriedElsewhere) {
  auto gateway = make();
  mobizon_.script = {SendOutcome::refused};
  const auto sent = send(gateway);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().outcome, SendOutcome::refused);
  EXPECT_EQ(sent.error().error.code, errc::sms_rejected);
  EXPECT_TRUE(relay_.texts.empty());
}

TEST_F(Failover, APossiblySentSmsIsNeverSentAgainThroughAnotherGateway) {
  auto gateway = make();
  mobizon_.script = {SendOutcome::possibly_sent};
  const auto sent = send(gateway);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().outcome, SendOutcome::possibly_sent);
  EXPECT_TRUE(relay_.texts.empty());
}

TEST_F(Failover, WhenEveryGatewayIsDownTheLastFailureIsReturned) {
  auto gateway = make();
  mobizon_.script = {SendOutcome::not_accepted};
  relay_.script = {SendOutcome::unreached};
  const auto sent = send(gateway);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().outcome, SendOutcome::unreached);
  EXPECT_EQ(sent.error().error.code, errc::sms_unavailable);
}

TEST_F(Failover, ABreakerOpensSkipsTheGatewayThenProbesAndCloses) {
  auto gateway = make(2);
  mobizon_.script = {SendOutcome::not_accepted, SendOutcome::not_accepted};
  ASSERT_TRUE(send(gateway));
  ASSERT_TRUE(send(gateway));
  EXPECT_EQ(gateway.breaker_state("mobizon"), BreakerState::open);
  EXPECT_EQ(mobizon_.texts.size(), 2u);

  // Open: Mobizon is not even asked; the relay sends at once.
  const auto skipped = send(gateway);
  ASSERT_TRUE(skipped);
  EXPECT_EQ(skipped->gateway, "http");
  EXPECT_EQ(mobizon_.texts.size(), 2u);

  // After the pause one probe goes to Mobizon; it succeeds and the breaker closes.
  clock_.advance(std::chrono::seconds{30});
  const auto probe = send(gateway);
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->gateway, "mobizon");
  EXPECT_EQ(gateway.breaker_state("mobizon"), BreakerState::closed);
  EXPECT_NE(metrics_.render().find("sms_auth_sms_gateway_attempts_total{gateway=\"mobizon\",result=\"skipped\"} 1"),
            std::string::npos);
}

TEST_F(Failover, WithEveryBreakerOpenTheSendFailsFastWithRetryAfterUntilTheFirstProbe) {
  auto gateway = make(1);
  mobizon_.script = {SendOutcome::not_accepted};
  relay_.script = {SendOutcome::not_accepted};
  ASSERT_FALSE(send(gateway));
  clock_.advance(std::chrono::seconds{10});
  const auto sent = send(gateway);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().outcome, SendOutcome::unreached);
  EXPECT_EQ(sent.error().error.retry_after_seconds, 20);
  EXPECT_EQ(mobizon_.texts.size(), 1u);
  EXPECT_EQ(relay_.texts.size(), 1u);
}

TEST_F(Failover, StatusesAndBalanceComeFromTheGatewayThatReportsThem) {
  FailoverGateway gateway({&relay_, &mobizon_}, FailoverOptions{}, clock_, metrics_);
  EXPECT_EQ(gateway.status_source(), "mobizon");
  EXPECT_EQ(gateway.max_status_batch(), 100u);
  ASSERT_TRUE(run(gateway.delivery_statuses({"1", "2"})));
  ASSERT_EQ(mobizon_.status_queries.size(), 1u);
  EXPECT_EQ(run(gateway.balance())->currency, "mobizon");

  FailoverGateway relay_only({&relay_}, FailoverOptions{}, clock_, metrics_);
  EXPECT_EQ(relay_only.status_source(), "");
  EXPECT_EQ(relay_only.max_status_batch(), 0u);
  EXPECT_FALSE(run(relay_only.balance()));
}

}  // namespace
}  // namespace sms_auth
