// Which SMS sender the configuration asks for, and the gateways and delivery record behind it.
#include "app/sms_stack.hpp"

#include "app/factories.hpp"
#include "app/startup_error.hpp"
#include "sms/failover_gateway.hpp"
#include "sms/http/http_gateway.hpp"
#include "sms/mobizon/mobizon_gateway.hpp"
#include "sms/test_mode_sender.hpp"

namespace sms_auth {
namespace {

std::unique_ptr<mobizon::Api> make_mobizon_api(const Config& config, boost::asio::io_context& io,
                                               MetricsRegistry& metrics) {
  if (config.sms_test_mode || !lists_gateway(config, "mobizon")) return nullptr;
  return open_mobizon(config, io, metrics);
}

// The gateways of SMS_GATEWAYS, in its order.
std::vector<std::unique_ptr<SmsGateway>> make_gateway_members(const Config& config, boost::asio::io_context& io,
                                                              mobizon::Api* api, const TimeSource& clock) {
  std::vector<std::unique_ptr<SmsGateway>> members;
  if (config.sms_test_mode) return members;
  for (const auto& name : config.sms_gateways) {
    if (name == "mobizon" && api != nullptr) {
      members.push_back(std::make_unique<mobizon::MobizonGateway>(*api));
    } else if (name == "http") {
      relay::Settings settings{config.sms_http_url, config.sms_http_secret, config.sms_http_ca_file,
                               config.sms_http_timeout, config.sms_sender};
      try {
        members.push_back(std::make_unique<relay::HttpGateway>(io, std::move(settings), clock));
      } catch (const std::invalid_argument& e) {
        throw ConfigurationError("SMS_HTTP_URL", e.what());
      } catch (const std::runtime_error& e) {
        throw ConfigurationError("SMS_HTTP_CA_FILE", e.what());
      }
    }
  }
  return members;
}

std::unique_ptr<SmsGateway> make_gateway(const std::vector<std::unique_ptr<SmsGateway>>& members, const Config& config,
                                         const TimeSource& clock, MetricsRegistry& metrics) {
  if (members.empty()) return nullptr;
  std::vector<SmsGateway*> ordered;
  for (const auto& member : members) ordered.push_back(member.get());
  return std::make_unique<FailoverGateway>(
      std::move(ordered), FailoverOptions{config.sms_gateway_breaker_failures, config.sms_gateway_breaker_pause}, clock,
      metrics);
}

SmsDeliveryOptions delivery_options(const Config& config) {
  SmsDeliveryOptions options;
  options.balance_warn_below = config.sms_balance_warn_below;
  return options;
}

}  // namespace

SmsStack::SmsStack(const Config& config, boost::asio::io_context& io, StorageEngine& storage, const TimeSource& clock,
                   MetricsRegistry& metrics)
    : mobizon_api_(make_mobizon_api(config, io, metrics)),
      gateway_members_(make_gateway_members(config, io, mobizon_api_.get(), clock)),
      gateway_(make_gateway(gateway_members_, config, clock, metrics)),
      delivery_(gateway_.get(), storage, clock, metrics, delivery_options(config)),
      test_mode_sender_(config.sms_test_mode ? std::make_unique<TestModeSender>() : nullptr) {}

SmsStack::~SmsStack() = default;

SmsSender& SmsStack::sender() {
  if (test_mode_sender_) return *test_mode_sender_;
  return delivery_;
}

}  // namespace sms_auth
