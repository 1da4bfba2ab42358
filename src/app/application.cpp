// Wiring of the service: which implementation stands behind each interface, chosen from the configuration.
#include "app/application.hpp"

#include <spdlog/spdlog.h>

#include "auth/sms_text.hpp"
#include "http/web_assets.hpp"
#include "metrics/build_info.hpp"

namespace sms_auth {
namespace {

// The configuration, once check_startup has found nothing wrong with it as a whole.
Config checked(Config config) {
  check_startup(config);
  return config;
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

Application::Application(Config config, boost::asio::io_context& io)
    : config_(checked(std::move(config))),
      storage_(open_storage(config_)),
      keys_(load_service_keys(config_)),
      phones_(config_.default_region, config_.allowed_countries),
      codec_(keys_.otp_key),
      limits_(config_.limits),
      tokens_(keys_.jwt_keys, config_.jwt_issuer, config_.jwt_audience, config_.access_token_ttl),
      sms_(config_, io, *storage_, clock_, metrics_),
      otp_metrics_(metrics_),
      otp_service_({config_.otp, config_.sessions, config_.sms_texts}, phones_, codec_, limits_, tokens_, *storage_,
                   sms_.sender(), clock_, otp_metrics_),
      conversion_monitor_(config_.limits, *storage_, metrics_, otp_metrics_.limit_alerts),
      client_addresses_(config_.trusted_proxies),
      otp_handlers_(otp_service_),
      health_handlers_(*storage_, metrics_),
      session_metrics_(metrics_),
      session_service_(config_.sessions, tokens_, *storage_, clock_, session_metrics_),
      session_handlers_(session_service_),
      jwks_handlers_(tokens_),
      web_page_handlers_(embedded_web_files(),
                         WebPageSettings{config_.sms_test_mode,
                                         // A test server others can reach must not tell them the code.
                                         config_.sms_test_mode_public ? std::nullopt : config_.otp.fixed_code,
                                         mobile_number_formats(config_.allowed_countries), config_.default_region}),
      openapi_handlers_(openapi_switches(config_)),
      router_(metrics_, config_.access_log) {
  const BuildInfo build = build_info();
  metrics_.gauge("sms_auth_build_info", "The version and git commit of this binary (always 1)", {"version", "commit"})
      .labels({std::string(build.version), std::string(build.commit)})
      .set(1);
  for (const auto& text : measure_sms_texts(config_.sms_texts, config_.otp.code_ttl)) {
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
  router_.add(otp_handlers_.routes());
  router_.add(session_handlers_.routes());
  router_.add(jwks_handlers_.routes());
  router_.add(web_page_handlers_.routes());
  router_.add(openapi_handlers_.routes());
  // Off unless configured: without ADMIN_TOKEN / MOBIZON_WEBHOOK_SECRET these paths are plain 404s.
  if (!config_.admin_token.empty()) {
    admin_auth_.emplace(config_.admin_token);
    sms_admin_handlers_.emplace(sms_.delivery(), phones_, *admin_auth_);
    router_.add(sms_admin_handlers_->routes());
  }
  if (!config_.mobizon_webhook_secret.empty()) {
    mobizon_webhook_.emplace(sms_.delivery(), config_.mobizon_webhook_secret, config_.mobizon_webhook_utc_offset);
    router_.add(mobizon_webhook_->routes());
  }
}

Application::~Application() = default;

}  // namespace sms_auth
