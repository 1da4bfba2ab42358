// The composition root: builds every object of the service from one Config and wires them by constructor.
#pragma once

#include <memory>

#include "auth/auth_metrics.hpp"
#include "auth/jwt.hpp"
#include "auth/otp_code.hpp"
#include "auth/otp_service.hpp"
#include "auth/phone_number.hpp"
#include "auth/session_service.hpp"
#include "auth/sms_delivery.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "http/client_address.hpp"
#include "http/handlers/health_handlers.hpp"
#include "http/handlers/jwks_handlers.hpp"
#include "http/handlers/openapi_handlers.hpp"
#include "http/handlers/session_handlers.hpp"
#include "http/handlers/sms_auth_handlers.hpp"
#include "http/handlers/web_page_handlers.hpp"
#include "http/admin_auth.hpp"
#include "http/handlers/mobizon_webhook_handler.hpp"
#include "http/handlers/sms_admin_handlers.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "ratelimit/conversion_monitor.hpp"
#include "ratelimit/limit_policy.hpp"
#include "sms/mobizon/mobizon_api.hpp"
#include "sms/sms_gateway.hpp"
#include "sms/sms_sender.hpp"
#include "storage/repository.hpp"
#include "storage/storage_engine.hpp"

#include <boost/asio/io_context.hpp>

namespace sms_auth {

// The database kind DATABASE_URL names: how to open a connection, and the engine's pool shape. Throws
// ConfigurationError for an unsupported URL.
StorageBackend storage_backend(const Config& config);
// One connection to the database DATABASE_URL names, used directly on the calling thread: for the CLI commands (no
// I/O threads there). Throws ConfigurationError for an unsupported URL, StorageUnavailable if it cannot be opened.
std::unique_ptr<Repository> open_repository(const Config& config);
// The storage engine `serve` runs on (every connection opened). Same failures as open_repository.
std::unique_ptr<StorageEngine> open_storage(const Config& config);

// Throws ConfigurationError for what each variable allows but the whole configuration or this build cannot do
// (a database kind not built in, an unreadable or wrong key file, no SMS sender). Has no side effects: it reads the
// key files but creates no file and opens no database.
void check_startup(const Config& config);

// The keys of the service, from the configuration (or ephemeral in test mode, with a warning).
struct ServiceKeys {
  std::vector<std::shared_ptr<const JwtKey>> jwt_keys;  // the first signs
  Bytes otp_key;                                        // HMAC key of codes
};
ServiceKeys load_service_keys(const Config& config);

// The Mobizon client for this configuration (MOBIZON_API_KEY must be set). Throws ConfigurationError naming
// MOBIZON_API_URL or MOBIZON_CA_FILE when either cannot be used.
std::unique_ptr<mobizon::Api> open_mobizon(const Config& config, boost::asio::io_context& io, MetricsRegistry& metrics);

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
  SmsDelivery& sms_delivery() { return sms_delivery_; }

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
  std::unique_ptr<mobizon::Api> mobizon_api_;   // null in SMS test mode
  std::vector<std::unique_ptr<SmsGateway>> sms_gateway_members_;  // SMS_GATEWAYS in order; empty in test mode
  std::unique_ptr<SmsGateway> sms_gateway_;     // the failover list over them; null in SMS test mode
  SmsDelivery sms_delivery_;                     // the production sender: gateway + delivery record
  std::unique_ptr<SmsSender> sender_;           // the test-mode sender; null in production
  AuthMetrics auth_metrics_;
  OtpService otp_service_;
  ConversionMonitor conversion_monitor_;
  ClientAddressResolver client_addresses_;
  SmsAuthHandlers sms_auth_handlers_;
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
