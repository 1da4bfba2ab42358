// Wiring of the service: which implementation stands behind each interface, chosen from the configuration.
#include "app/application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/key_files.hpp"
#include "app/startup_error.hpp"
#include "auth/sms_text.hpp"
#include "http/web_assets.hpp"
#include "metrics/build_info.hpp"
#include "sms/failover_gateway.hpp"
#include "sms/http/http_gateway.hpp"
#include "sms/mobizon/mobizon_gateway.hpp"
#include "sms/test_mode_sender.hpp"
#include "storage/postgres/postgres_backend.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

// Test mode logs instead of sending; production sends through SmsDelivery (Mobizon), so there is no sender here.
std::unique_ptr<SmsSender> make_test_mode_sender(const Config& config) {
  if (!config.sms_test_mode) return nullptr;
  return std::make_unique<TestModeSender>();
}

bool lists_gateway(const Config& config, std::string_view name) {
  return std::find(config.sms_gateways.begin(), config.sms_gateways.end(), name) != config.sms_gateways.end();
}

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

std::unique_ptr<SmsGateway> make_gateway(const std::vector<std::unique_ptr<SmsGateway>>& members,
                                         const Config& config, const TimeSource& clock, MetricsRegistry& metrics) {
  if (members.empty()) return nullptr;
  std::vector<SmsGateway*> ordered;
  for (const auto& member : members) ordered.push_back(member.get());
  return std::make_unique<FailoverGateway>(
      std::move(ordered), FailoverOptions{config.sms_gateway_breaker_failures, config.sms_gateway_breaker_pause},
      clock, metrics);
}

// The configuration, once check_startup has found nothing wrong with it as a whole.
Config checked(Config config) {
  check_startup(config);
  return config;
}

SmsDeliveryOptions delivery_options(const Config& config) {
  SmsDeliveryOptions options;
  options.balance_warn_below = config.sms_balance_warn_below;
  return options;
}

bool is_postgres_url(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

void check_database_kind(const Config& config) {
  if (config.database_url.rfind("sqlite:", 0) != 0 && !is_postgres_url(config.database_url)) {
    throw ConfigurationError("DATABASE_URL", "must be sqlite:PATH or a postgresql:// URL");
  }
}

// The variables that switch documented paths on or off (x-sms-auth-enabled-by / -removed-by in docs/openapi.json).
std::set<std::string, std::less<>> openapi_switches(const Config& config) {
  std::set<std::string, std::less<>> configured;
  if (!config.admin_token.empty()) configured.insert("ADMIN_TOKEN");
  if (!config.mobizon_webhook_secret.empty()) configured.insert("MOBIZON_WEBHOOK_SECRET");
  if (!config.metrics_host.empty()) configured.insert("METRICS_LISTEN");
  return configured;
}

}  // namespace

void check_startup(const Config& config) {
  check_database_kind(config);
  if (config.jwt_secret.empty() && !config.jwt_private_key_file.empty()) {
    (void)read_signing_key_file(config.jwt_private_key_file);  // throws ConfigurationError naming the variable
  }
  for (const auto& path : config.jwt_previous_public_key_files) (void)read_verification_key_file(path);
  if (!config.sms_test_mode && !config.sms_http_url.empty()) {
    if (auto endpoint = mobizon::parse_api_url(config.sms_http_url); !endpoint) {
      throw ConfigurationError("SMS_HTTP_URL", endpoint.error());
    }
  }
  if (!config.sms_test_mode && lists_gateway(config, "mobizon")) {
    if (config.mobizon_api_key.empty()) {
      throw ConfigurationError("MOBIZON_API_KEY", "is required when SMS_TEST_MODE=false");
    }
    if (auto endpoint = mobizon::parse_api_url(config.mobizon_api_url); !endpoint) {
      throw ConfigurationError("MOBIZON_API_URL", endpoint.error() + ", e.g. https://api.mobizon.kz/service");
    }
  }
}

std::unique_ptr<mobizon::Api> open_mobizon(const Config& config, boost::asio::io_context& io,
                                           MetricsRegistry& metrics) {
  if (config.mobizon_api_key.empty()) throw ConfigurationError("MOBIZON_API_KEY", "is required to talk to Mobizon");
  mobizon::Settings settings;
  settings.api_url = config.mobizon_api_url;
  settings.api_key = config.mobizon_api_key;
  settings.ca_file = config.mobizon_ca_file;
  settings.timeout = config.mobizon_timeout;
  settings.sender = config.sms_sender;
  try {
    return std::make_unique<mobizon::Api>(io, std::move(settings), metrics);
  } catch (const std::invalid_argument& e) {
    throw ConfigurationError("MOBIZON_API_URL", e.what());
  } catch (const std::runtime_error& e) {
    throw ConfigurationError("MOBIZON_CA_FILE", e.what());
  }
}

StorageBackend storage_backend(const Config& config) {
  check_database_kind(config);
  if (is_postgres_url(config.database_url)) {
    PgSettings settings;
    settings.url = config.database_url;
    settings.prepared_statements = config.database_prepared_statements;
    return postgres_storage_backend(std::move(settings), config.database_pool_size);
  }
  return sqlite_storage_backend(config.database_url.substr(7));
}

std::unique_ptr<Repository> open_repository(const Config& config) { return storage_backend(config).open_connection(); }

std::unique_ptr<StorageEngine> open_storage(const Config& config) {
  return std::make_unique<StorageEngine>(storage_backend(config));
}

ServiceKeys load_service_keys(const Config& config) {
  ServiceKeys keys;
  if (!config.jwt_secret.empty()) {
    const Bytes secret = to_bytes(config.jwt_secret);
    keys.jwt_keys.push_back(std::make_shared<Hs256Key>(secret));
    // Codes get their own key, derived so that one secret to manage is enough.
    keys.otp_key = hkdf_sha256(secret, "sms-auth/otp-code-key/v1", 32);
  } else if (!config.jwt_private_key_file.empty()) {
    auto signing = std::make_shared<Ed25519Key>(read_signing_key_file(config.jwt_private_key_file));
    if (readable_by_others(config.jwt_private_key_file)) {
      spdlog::warn("config: JWT_PRIVATE_KEY_FILE {} is readable by group or others; chmod 600 it",
                   config.jwt_private_key_file);
    }
    // The code key is derived from the signing key, so one secret to manage is still enough; rotating the signing
    // key then voids pending codes (minutes), unless OTP_SECRET is set.
    keys.otp_key = hkdf_sha256(signing->raw_private_key(), "sms-auth/otp-code-key/v1", 32);
    keys.jwt_keys.push_back(std::move(signing));
  } else {
    spdlog::warn("config: no JWT_SECRET: using an ephemeral signing key (test mode only); tokens and pending codes "
                 "do not survive a restart");
    keys.jwt_keys.push_back(std::make_shared<Hs256Key>(random_bytes(32)));
    keys.otp_key = random_bytes(32);
  }
  if (!config.otp_secret.empty()) keys.otp_key = to_bytes(config.otp_secret);
  // Verification-only keys of a rotation: tokens they signed stay valid until they expire, and JWKS lists them.
  for (const auto& path : config.jwt_previous_public_key_files) {
    auto previous = std::make_shared<Ed25519Key>(read_verification_key_file(path));
    const bool known = std::any_of(keys.jwt_keys.begin(), keys.jwt_keys.end(),
                                   [&](const auto& key) { return key->key_id() == previous->key_id(); });
    if (!known) keys.jwt_keys.push_back(std::move(previous));
  }
  return keys;
}

Application::Application(Config config, boost::asio::io_context& io)
    : config_(checked(std::move(config))),
      storage_(open_storage(config_)),
      keys_(load_service_keys(config_)),
      phones_(config_.default_region, config_.allowed_countries),
      codec_(keys_.otp_key),
      limits_(config_),
      tokens_(keys_.jwt_keys, config_.jwt_issuer, config_.jwt_audience, config_.access_token_ttl),
      mobizon_api_(make_mobizon_api(config_, io, metrics_)),
      sms_gateway_members_(make_gateway_members(config_, io, mobizon_api_.get(), clock_)),
      sms_gateway_(make_gateway(sms_gateway_members_, config_, clock_, metrics_)),
      sms_delivery_(sms_gateway_.get(), *storage_, clock_, metrics_, delivery_options(config_)),
      sender_(make_test_mode_sender(config_)),
      auth_metrics_(metrics_),
      otp_service_(config_, phones_, codec_, limits_, tokens_, *storage_,
                   sender_ ? *sender_ : static_cast<SmsSender&>(sms_delivery_), clock_, auth_metrics_),
      conversion_monitor_(config_, *storage_, metrics_, auth_metrics_.limit_alerts),
      client_addresses_(config_.trusted_proxies),
      sms_auth_handlers_(otp_service_),
      health_handlers_(*storage_, metrics_),
      session_metrics_(metrics_),
      session_service_(config_, tokens_, *storage_, clock_, session_metrics_),
      session_handlers_(session_service_),
      jwks_handlers_(tokens_),
      web_page_handlers_(embedded_web_files(), WebPageSettings{config_.sms_test_mode,
                                         // A test server others can reach must not tell them the code.
                                         config_.sms_test_mode_public ? std::nullopt : config_.sms_test_fixed_code}),
      openapi_handlers_(openapi_switches(config_)),
      router_(metrics_, config_.access_log) {
  const BuildInfo build = build_info();
  metrics_.gauge("sms_auth_build_info", "The version and git commit of this binary (always 1)", {"version", "commit"})
      .labels({std::string(build.version), std::string(build.commit)})
      .set(1);
  for (const auto& text : measure_sms_texts(config_)) {
    spdlog::log(text.size.segments > 1 ? spdlog::level::warn : spdlog::level::info, "config: {}",
                describe_sms_text_size(text));
  }
  router_.add(health_handlers_.routes());
  if (config_.metrics_host.empty()) {
    router_.add(health_handlers_.metrics_routes());
  } else {
    // Scrapers reach their own listener; the public port answers 404 for /metrics.
    metrics_router_.emplace(metrics_, config_.access_log);
    metrics_router_->add(health_handlers_.metrics_routes());
  }
  router_.add(sms_auth_handlers_.routes());
  router_.add(session_handlers_.routes());
  router_.add(jwks_handlers_.routes());
  router_.add(web_page_handlers_.routes());
  router_.add(openapi_handlers_.routes());
  // Off unless configured: without ADMIN_TOKEN / MOBIZON_WEBHOOK_SECRET these paths are plain 404s.
  if (!config_.admin_token.empty()) {
    admin_auth_.emplace(config_.admin_token);
    sms_admin_handlers_.emplace(sms_delivery_, phones_, *admin_auth_);
    router_.add(sms_admin_handlers_->routes());
  }
  if (!config_.mobizon_webhook_secret.empty()) {
    mobizon_webhook_.emplace(sms_delivery_, config_.mobizon_webhook_secret, config_.mobizon_webhook_utc_offset);
    router_.add(mobizon_webhook_->routes());
  }
}

Application::~Application() = default;

}  // namespace sms_auth
