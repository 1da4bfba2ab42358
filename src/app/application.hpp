// The composition root: builds every object of the service from one Config and wires them by constructor.
#pragma once

#include <memory>

#include "app/factories.hpp"
#include "app/sms_stack.hpp"
#include "auth/jwt.hpp"
#include "auth/otp_code.hpp"
#include "auth/otp_metrics.hpp"
#include "auth/otp_service.hpp"
#include "auth/phone_number.hpp"
#include "auth/session_service.hpp"
#include "auth/sms_delivery.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "http/admin_auth.hpp"
#include "http/client_address.hpp"
#include "http/handlers/health_handlers.hpp"
#include "http/handlers/jwks_handlers.hpp"
#include "http/handlers/mobizon_webhook_handler.hpp"
#include "http/handlers/openapi_handlers.hpp"
#include "http/handlers/otp_handlers.hpp"
#include "http/handlers/session_handlers.hpp"
#include "http/handlers/sms_admin_handlers.hpp"
#include "http/handlers/web_page_handlers.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "ratelimit/conversion_monitor.hpp"
#include "ratelimit/limit_policy.hpp"
#include "storage/storage_engine.hpp"

#include <boost/asio/io_context.hpp>

namespace sms_auth {

// Everything `serve` needs. Members are declared in dependency order: each is built from those above it.
class Application {
 public:
  // Throws ConfigurationError or StorageUnavailable.
  Application(Config config, boost::asio::io_context& io);
  ~Application();

  const Config& config() const { return config_; }
  StorageEngine& storage() { return *storage_; }
  const Router& router() const { return router_; }
  // /metrics alone, for METRICS_LISTEN's listener; null without METRICS_LISTEN (then /metrics is on router()).
  const Router* metrics_router() const { return metrics_router_ ? &*metrics_router_ : nullptr; }
  const ClientAddressResolver& client_addresses() const { return client_addresses_; }
  const LimitPolicy& limits() const { return limits_; }
  MetricsRegistry& metrics() { return metrics_; }
  ConversionMonitor& conversion_monitor() { return conversion_monitor_; }
  SmsDelivery& sms_delivery() { return sms_.delivery(); }

 private:
  Config config_;
  MetricsRegistry metrics_;
  SystemTimeSource clock_;
  std::unique_ptr<StorageEngine> storage_;
  ServiceKeys keys_;
  PhoneNumberParser phones_;
  OtpCodec codec_;
  LimitPolicy limits_;
  AccessTokens tokens_;
  SmsStack sms_;
  OtpMetrics otp_metrics_;
  OtpService otp_service_;
  ConversionMonitor conversion_monitor_;
  ClientAddressResolver client_addresses_;
  OtpHandlers otp_handlers_;
  HealthHandlers health_handlers_;
  SessionMetrics session_metrics_;
  SessionService session_service_;
  SessionHandlers session_handlers_;
  JwksHandlers jwks_handlers_;
  WebPageHandlers web_page_handlers_;
  OpenApiHandlers openapi_handlers_;  // after the optional routes are known: it documents only those served
  std::optional<AdminAuth> admin_auth_;                  // ADMIN_TOKEN set
  std::optional<SmsAdminHandlers> sms_admin_handlers_;   // ADMIN_TOKEN set
  std::optional<MobizonWebhookHandler> mobizon_webhook_;  // MOBIZON_WEBHOOK_SECRET set
  Router router_;
  std::optional<Router> metrics_router_;  // METRICS_LISTEN set
};

}  // namespace sms_auth
