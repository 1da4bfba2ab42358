// Wiring of the service: which implementation stands behind each interface, chosen from the configuration.
#include "app/application.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/key_files.hpp"
#include "app/startup_error.hpp"
#include "http/web_assets.hpp"
#include "sms/test_mode_sender.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

std::unique_ptr<SmsSender> make_sender(const Config& config, boost::asio::io_context&) {
  check_startup(config);
  return std::make_unique<TestModeSender>();
}

}  // namespace

void check_startup(const Config& config) {
  if (config.database_url.rfind("sqlite:", 0) != 0) {
    throw ConfigurationError("DATABASE_URL", "PostgreSQL is not supported by this build yet; use sqlite:PATH");
  }
  if (config.jwt_secret.empty() && !config.jwt_private_key_file.empty()) {
    (void)read_signing_key_file(config.jwt_private_key_file);  // throws ConfigurationError naming the variable
  }
  for (const auto& path : config.jwt_previous_public_key_files) (void)read_verification_key_file(path);
  if (!config.sms_test_mode) {
    // Never pretend to send: without a gateway client, a production configuration must not start.
    throw ConfigurationError("SMS_TEST_MODE",
                             "is false, but this build has no Mobizon client yet; set SMS_TEST_MODE=true");
  }
}

std::unique_ptr<Repository> open_repository(const Config& config) {
  check_startup(config);
  return std::make_unique<SqliteRepository>(config.database_url.substr(7));
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
    : config_(std::move(config)),
      repository_(open_repository(config_)),
      keys_(load_service_keys(config_)),
      phones_(config_.default_region, config_.allowed_countries),
      codec_(keys_.otp_key),
      limits_(config_),
      tokens_(keys_.jwt_keys, config_.jwt_issuer, config_.jwt_audience, config_.access_token_ttl),
      sender_(make_sender(config_, io)),
      auth_metrics_(metrics_),
      otp_service_(config_, phones_, codec_, limits_, tokens_, *repository_, *sender_, clock_, auth_metrics_),
      conversion_monitor_(config_, *repository_, metrics_, auth_metrics_.limit_alerts),
      client_addresses_(config_.trusted_proxies),
      sms_auth_handlers_(otp_service_),
      health_handlers_(*repository_, metrics_),
      session_metrics_(metrics_),
      session_service_(config_, tokens_, *repository_, clock_, session_metrics_),
      session_handlers_(session_service_),
      jwks_handlers_(tokens_),
      web_page_handlers_(embedded_web_files(), WebPageSettings{config_.sms_test_mode, config_.sms_test_fixed_code}),
      router_(metrics_) {
  router_.add(health_handlers_.routes());
  router_.add(sms_auth_handlers_.routes());
  router_.add(session_handlers_.routes());
  router_.add(jwks_handlers_.routes());
  router_.add(web_page_handlers_.routes());
}

Application::~Application() = default;

}  // namespace sms_auth
