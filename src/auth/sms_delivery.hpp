// Delivery tracking (issue 4): every SMS the gateway accepts is recorded, its status is polled until final and
// updated from the gateway's delivery reports, and the gateway's balance is watched. Domain code: no HTTP, no SQL.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/clock.hpp"
#include "metrics/metrics.hpp"
#include "sms/sms_gateway.hpp"
#include "storage/sms_message_log.hpp"
#include "storage/stores.hpp"

namespace sms_auth {

struct SmsDeliveryOptions {
  std::optional<double> balance_warn_below;        // SMS_BALANCE_WARN_BELOW
  std::chrono::hours track_for{48};                // stop polling a message this long after it was sent
  std::chrono::hours keep_messages_for{24 * 30};   // then forget it (numbers are personal data)
  std::chrono::hours keep_webhook_events_for{48};  // Mobizon retries an event for about an hour
  // A report is applied only this soon after its event was created (a captured one cannot be replayed later), and
  // not from further in the future than clocks plausibly disagree. Event ids are kept far longer than this window.
  std::chrono::minutes report_max_age{10};
  std::chrono::seconds report_max_clock_skew{60};
};

// The sender the login flow uses in production: the gateway, plus a record of each message sent. Without a gateway
// (SMS test mode) only the read side works: the listing, webhook reports for known messages, pruning.
class SmsDelivery final : public SmsSender {
 public:
  SmsDelivery(SmsGateway* gateway, AsyncSmsMessageLog& storage, const TimeSource& clock, MetricsRegistry& metrics,
              SmsDeliveryOptions options);

  bool has_gateway() const { return gateway_ != nullptr; }

  // Sends through the gateway and records the message. Recording is best effort: a storage failure is logged and
  // the (already sent) message still counts as sent.
  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override;

  // One polling round: the statuses of up to one gateway batch of messages not final yet, least recently checked
  // first. Returns how many messages changed status, or the gateway's error.
  awaitable<result<std::size_t>> poll_statuses();

  // A delivery report whose authenticity the caller checked. Applied only within the replay window of its event's
  // creation time, to a message we sent, once per event id, and never over a final status.
  awaitable<SmsStatusApplied> apply_report(std::string event_id, SmsDeliveryStatus status, TimePoint event_created_at);

  // The newest messages to a number (E.164), newest first.
  awaitable<std::vector<SmsMessageRecord>> recent_messages(std::string e164, std::size_t limit = 50);

  // Asks the gateway for the balance, updates the gauge, and warns when it is under the configured threshold.
  // Fails with sms_unavailable (also in test mode, where there is no gateway to ask).
  awaitable<result<GatewayBalance>> check_balance();

  // Forgets old messages and webhook event ids. Returns rows removed.
  awaitable<std::size_t> prune();

 private:
  void count(const char* source, SmsStatusApplied applied, const std::string& status);

  SmsGateway* gateway_;
  AsyncSmsMessageLog& storage_;
  const TimeSource& clock_;
  SmsDeliveryOptions options_;
  Family<Counter>& final_statuses_;
  Family<Counter>& reports_;
  Family<Counter>& moderation_;
  Family<Counter>& sent_;
  Family<Gauge>& balance_;
};

// The status a message has from the moment the gateway accepts it until the gateway reports one.
inline constexpr const char* kSmsStatusSent = "SENT";

}  // namespace sms_auth
