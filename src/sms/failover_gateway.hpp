// SMS_GATEWAYS: the gateways in order of preference behind one SmsGateway. A send that surely did not go out for an
// infrastructure reason moves on to the next gateway; a refused number or a send that may have gone out does not.
// Each gateway has a circuit breaker, so one that keeps failing is skipped for a while instead of costing every
// login its timeout.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "metrics/metrics.hpp"
#include "sms/gateway_breaker.hpp"
#include "sms/sms_gateway.hpp"

namespace sms_auth {

struct FailoverOptions {
  int breaker_failures = 5;                // SMS_GATEWAY_BREAKER_FAILURES
  std::chrono::seconds breaker_pause{30};  // SMS_GATEWAY_BREAKER_SECONDS
};

class FailoverGateway final : public SmsGateway {
 public:
  // `gateways` in order of preference, not empty; they must outlive this object.
  FailoverGateway(std::vector<SmsGateway*> gateways, FailoverOptions options, const TimeSource& clock,
                  MetricsRegistry& metrics);

  // The first gateway that sends it; SentSms::gateway names it. Fails with the last gateway's failure, or, when
  // every breaker is open, sms_unavailable (unreached) with Retry-After until the first probe.
  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override;
  // Balance and delivery statuses come from the first gateway that reports them (Mobizon).
  awaitable<result<GatewayBalance>> balance() override;
  awaitable<result<std::vector<SmsDeliveryStatus>>> delivery_statuses(std::vector<std::string> message_ids) override;
  std::size_t max_status_batch() const override;
  std::string_view name() const override { return "failover"; }
  std::string_view status_source() const override;

  BreakerState breaker_state(std::string_view gateway) const;

 private:
  struct Member {
    SmsGateway* gateway;
    std::unique_ptr<GatewayBreaker> breaker;
  };
  void publish_breaker(const Member& member);

  std::vector<Member> members_;
  SmsGateway* status_gateway_ = nullptr;
  const TimeSource& clock_;
  Family<Counter>& attempts_;
  Family<Gauge>& breaker_open_;
};

}  // namespace sms_auth
