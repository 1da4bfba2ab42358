// Failover across SMS gateways with a breaker each.
#include "sms/failover_gateway.hpp"

#include <optional>
#include <stdexcept>

#include "core/log.hpp"

namespace sms_auth {

FailoverGateway::FailoverGateway(std::vector<SmsGateway*> gateways, FailoverOptions options, const TimeSource& clock,
                                 MetricsRegistry& metrics)
    : clock_(clock),
      attempts_(metrics.counter("sms_auth_sms_gateway_attempts_total",
                                "Sends tried per gateway, by result (sent, refused, not_accepted, unreached, "
                                "possibly_sent, skipped: breaker open)",
                                {"gateway", "result"})),
      breaker_open_(metrics.gauge("sms_auth_sms_gateway_breaker_open",
                                  "1 while a gateway's circuit breaker skips it (or lets one probe through)",
                                  {"gateway"})) {
  if (gateways.empty()) throw std::invalid_argument("FailoverGateway needs at least one gateway");
  for (SmsGateway* gateway : gateways) {
    members_.push_back(
        {gateway, std::make_unique<GatewayBreaker>(options.breaker_failures, options.breaker_pause, clock)});
    if (status_gateway_ == nullptr && gateway->max_status_batch() > 0) status_gateway_ = gateway;
    publish_breaker(members_.back());
  }
}

void FailoverGateway::publish_breaker(const Member& member) {
  const bool open = member.breaker->state() != BreakerState::closed;
  breaker_open_.labels({std::string(member.gateway->name())}).set(open ? 1.0 : 0.0);
}

awaitable<result<SentSms, SendFailure>> FailoverGateway::send(OutgoingSms sms) {
  const std::string masked = mask_phone(sms.recipient_e164);
  std::optional<SendFailure> last_failure;
  std::optional<TimePoint> first_probe;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Member& member = members_[i];
    const std::string gateway_name(member.gateway->name());
    if (!member.breaker->allow()) {
      attempts_.labels({gateway_name, "skipped"}).inc();
      const TimePoint reopens = member.breaker->reopens_at();
      if (!first_probe || reopens < *first_probe) first_probe = reopens;
      log_event(LogLevel::warn, sms.log, "sms.failover",
                {{"result", "skipped"}, {"gateway", gateway_name}, {"phone", masked}},
                "its breaker is open after repeated outages");
      continue;
    }
    OutgoingSms attempt = sms;
    auto sending = member.gateway->send(std::move(attempt));  // named (core/async.hpp)
    auto sent = co_await std::move(sending);
    if (sent) {
      member.breaker->record_success();
      publish_breaker(member);
      attempts_.labels({gateway_name, "sent"}).inc();
      sent->gateway = gateway_name;
      co_return sent;
    }
    SendFailure failure = std::move(sent.error());
    attempts_.labels({gateway_name, std::string(send_outcome_name(failure.outcome))}).inc();
    if (failure.outcome == SendOutcome::refused) {
      // The gateway answered; the number or text is the problem, and another gateway would be asked the same.
      member.breaker->record_success();
      publish_breaker(member);
      co_return failure;
    }
    const BreakerState before = member.breaker->state();
    member.breaker->record_outage();
    publish_breaker(member);
    if (before != BreakerState::open && member.breaker->state() == BreakerState::open) {
      log_event(LogLevel::error, sms.log, "sms.breaker",
                {{"result", "open"},
                 {"gateway", gateway_name},
                 {"cause", before == BreakerState::half_open ? "the probe failed" : "too many consecutive outages"},
                 {"until", format_rfc3339(member.breaker->reopens_at())}},
                "the gateway is skipped until then, and one probe is let through");
    }
    if (!failure.surely_not_sent()) {
      // The request may have been acted on: sending it through another gateway could deliver (and bill) it twice.
      if (i + 1 < members_.size()) {
        log_event(LogLevel::warn, sms.log, "sms.failover",
                  {{"result", "stopped"}, {"gateway", gateway_name}, {"phone", masked}},
                  "the SMS may have been sent, so it is not sent again through another gateway");
      }
      co_return failure;
    }
    if (i + 1 < members_.size()) {
      log_event(LogLevel::warn, sms.log, "sms.failover",
                {{"result", "next"},
                 {"gateway", gateway_name},
                 {"phone", masked},
                 {"outcome", send_outcome_name(failure.outcome)}},
                "trying the next gateway");
    }
    last_failure = std::move(failure);
  }
  if (last_failure) co_return std::move(*last_failure);
  Error error = make_error(errc::sms_unavailable, "SMS sending is temporarily unavailable; try again later");
  error.retry_after_seconds = first_probe ? ceil_seconds(*first_probe - clock_.now()) : 30;
  co_return SendFailure{SendOutcome::unreached, std::move(error)};
}

awaitable<result<GatewayBalance>> FailoverGateway::balance() {
  if (status_gateway_ == nullptr) {
    co_return make_error(errc::sms_unavailable, "no configured SMS gateway reports a balance");
  }
  auto asking = status_gateway_->balance();  // named (core/async.hpp)
  co_return co_await std::move(asking);
}

awaitable<result<std::vector<SmsDeliveryStatus>>> FailoverGateway::delivery_statuses(
    std::vector<std::string> message_ids) {
  if (status_gateway_ == nullptr) co_return std::vector<SmsDeliveryStatus>{};
  auto asking = status_gateway_->delivery_statuses(std::move(message_ids));  // named (core/async.hpp)
  co_return co_await std::move(asking);
}

std::size_t FailoverGateway::max_status_batch() const {
  return status_gateway_ == nullptr ? 0 : status_gateway_->max_status_batch();
}

std::string_view FailoverGateway::status_source() const {
  return status_gateway_ == nullptr ? std::string_view{} : status_gateway_->name();
}

BreakerState FailoverGateway::breaker_state(std::string_view gateway) const {
  for (const auto& member : members_) {
    if (member.gateway->name() == gateway) return member.breaker->state();
  }
  return BreakerState::closed;
}

}  // namespace sms_auth
