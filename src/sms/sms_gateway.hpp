// The SMS gateway as the domain sees it: send (SmsSender), the account balance, and delivery statuses. No HTTP here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sms/sms_sender.hpp"

namespace sms_auth {

struct GatewayBalance {
  std::string amount;    // decimal text as the gateway reports it, e.g. "4043.0656" (no rounding on the way)
  std::string currency;  // ISO 4217, e.g. "KZT"
};

// send() fails with a SendFailure (see SmsSender); the queries fail with errc::sms_unavailable (with
// retry_after_seconds) when the gateway cannot be used now. Never throws for a gateway answer.
class SmsGateway : public SmsSender {
 public:
  virtual awaitable<result<GatewayBalance>> balance() = 0;
  // The statuses of at most max_status_batch() messages; ids the gateway does not know are left out of the answer.
  virtual awaitable<result<std::vector<SmsDeliveryStatus>>> delivery_statuses(std::vector<std::string> message_ids) = 0;
  virtual std::size_t max_status_batch() const = 0;
  // The gateway's name in SMS_GATEWAYS, delivery records and metric labels ("mobizon", "http").
  virtual std::string_view name() const = 0;
  // The gateway whose messages delivery_statuses() reports on (a list names one of its members); empty when none.
  virtual std::string_view status_source() const { return max_status_batch() > 0 ? name() : std::string_view{}; }
};

}  // namespace sms_auth
