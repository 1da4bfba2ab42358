// The generic HTTPS gateway: each SMS is one signed JSON POST to an operator's relay or a provider speaking the
// contract of docs/sms-gateways.md. No retries here: the failover list decides what happens after a failure.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "sms/mobizon/https_client.hpp"
#include "sms/sms_gateway.hpp"

namespace sms_auth::relay {

struct Settings {
  std::string url;      // https://host[:port]/path
  std::string secret;   // HMAC key of X-Sms-Auth-Signature: never logged
  std::string ca_file;  // extra trusted CAs (PEM)
  std::chrono::milliseconds timeout{10000};
  std::string sender;  // "sender" of the body; empty: null
};

class HttpGateway final : public SmsGateway {
 public:
  // Throws std::invalid_argument for an unusable url, std::runtime_error when ca_file cannot be loaded.
  HttpGateway(boost::asio::io_context& io, Settings settings, const TimeSource& clock);

  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override;
  // The contract has neither: the relay reports no balance and no delivery statuses.
  awaitable<result<GatewayBalance>> balance() override;
  awaitable<result<std::vector<SmsDeliveryStatus>>> delivery_statuses(std::vector<std::string> message_ids) override;
  std::size_t max_status_batch() const override { return 0; }
  std::string_view name() const override { return "http"; }

 private:
  Settings settings_;
  std::string target_;
  std::string where_;  // host:port, for log lines
  const TimeSource& clock_;
  std::unique_ptr<HttpsClient> http_;
};

}  // namespace sms_auth::relay
