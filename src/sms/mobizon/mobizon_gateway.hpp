// The SmsGateway on Mobizon: turns Mobizon outcomes into the domain's errors and writes the operator's log lines.
#pragma once

#include "sms/mobizon/mobizon_api.hpp"
#include "sms/sms_gateway.hpp"

namespace sms_auth::mobizon {

// Clients see a short, generic sentence (502 sms_rejected, 503 sms_unavailable with Retry-After); the cause and the
// fix go to the log: an error line when an operator must act (key, IP whitelist, site, blocked account,
// certificate), a warning otherwise. Numbers in log lines are masked.
class MobizonGateway final : public SmsGateway {
 public:
  explicit MobizonGateway(Api& api);

  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override;
  awaitable<result<GatewayBalance>> balance() override;
  awaitable<result<std::vector<SmsDeliveryStatus>>> delivery_statuses(std::vector<std::string> message_ids) override;
  std::size_t max_status_batch() const override { return kMaxStatusIds; }
  std::string_view name() const override { return "mobizon"; }

 private:
  Api& api_;
};

// The domain error for a Mobizon failure: sms_rejected or sms_unavailable (+ Retry-After), with a detail safe to show
// to a client (it never names the key, the account or the configuration).
Error client_error(const Failure& failure);

}  // namespace sms_auth::mobizon
