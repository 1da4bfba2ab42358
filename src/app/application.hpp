// The composition root: builds every object of the service from one Config and wires them by constructor.
#pragma once

#include <memory>

#include "auth/auth_metrics.hpp"
#include "auth/jwt.hpp"
#include "auth/otp_code.hpp"
#include "auth/otp_service.hpp"
#include "auth/phone_number.hpp"
#include "auth/session_service.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "http/client_address.hpp"
#include "http/handlers/health_handlers.hpp"
#include "http/handlers/jwks_handlers.hpp"
#include "http/handlers/session_handlers.hpp"
#include "http/handlers/sms_auth_handlers.hpp"
#include "http/handlers/web_page_handlers.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "ratelimit/conversion_monitor.hpp"
#include "ratelimit/limit_policy.hpp"
#include "sms/sms_sender.hpp"
#include "storage/repository.hpp"

#include <boost/asio/io_context.hpp>

namespace sms_auth {

// Opens the repository named by DATABASE_URL. Throws ConfigurationError for an unsupported URL, StorageUnavailable
// if the database cannot be opened.
std::unique_ptr<Repository> open_repository(const Config& config);

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

// Everything `serve` needs. Members are declared in dependency order: each is built from those above it.
class Application {
 public:
  // Throws ConfigurationError or StorageUnavailable.
  Application(Config config, boost::asio::io_context& io);
  ~Application();

  const Config& config() const { return config_; }
  Repository& repository() { return *repository_; }
  const Router& router() const { return router_; }
  const ClientAddressResolver& client_addresses() const { return client_addresses_; }
  const LimitPolicy& limits() const { return limits_; }
  MetricsRegistry& metrics() { return metrics_; }
  ConversionMonitor& conversion_monitor() { return conversion_monitor_; }

 private:
  Config config_;
  MetricsRegistry metrics_;
  SystemTimeSource clock_;
  std::unique_ptr<Repository> repository_;
  ServiceKeys keys_;
  PhoneNumberParser phones_;
  OtpCodec codec_;
  LimitPolicy limits_;
  AccessTokens tokens_;
  std::unique_ptr<SmsSender> sender_;
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
  Router router_;
};

}  // namespace sms_auth
