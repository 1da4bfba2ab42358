// The SMS side of the service for one configuration: the gateways of SMS_GATEWAYS behind failover and the delivery
// record over them, or in test mode the sender that only logs. sender() is the one that sends.
#pragma once

#include <memory>
#include <vector>

#include "auth/sms_delivery.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "metrics/metrics.hpp"
#include "sms/mobizon/mobizon_api.hpp"
#include "sms/sms_gateway.hpp"
#include "sms/sms_sender.hpp"
#include "storage/storage_engine.hpp"

#include <boost/asio/io_context.hpp>

namespace sms_auth {

class SmsStack {
 public:
  // Throws ConfigurationError naming the variable when a gateway cannot be set up.
  SmsStack(const Config& config, boost::asio::io_context& io, StorageEngine& storage, const TimeSource& clock,
           MetricsRegistry& metrics);
  ~SmsStack();
  SmsStack(const SmsStack&) = delete;
  SmsStack& operator=(const SmsStack&) = delete;

  // The test-mode sender in SMS test mode, else the delivery record over the gateways.
  SmsSender& sender();
  // Delivery records and reports (admin listing, webhook, status polling): in test mode too, with no gateway.
  SmsDelivery& delivery() { return delivery_; }

 private:
  std::unique_ptr<mobizon::Api> mobizon_api_;                 // null in test mode or without mobizon in SMS_GATEWAYS
  std::vector<std::unique_ptr<SmsGateway>> gateway_members_;  // SMS_GATEWAYS in order; empty in test mode
  std::unique_ptr<SmsGateway> gateway_;                       // failover over the members; null in test mode
  SmsDelivery delivery_;
  std::unique_ptr<SmsSender> test_mode_sender_;  // SMS_TEST_MODE only
};

}  // namespace sms_auth
