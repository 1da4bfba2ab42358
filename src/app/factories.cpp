// The factories start-up and the CLI share: storage for DATABASE_URL, the service keys, the Mobizon client, and the
// checks of the configuration as a whole.
#include "app/factories.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/key_files.hpp"
#include "app/startup_error.hpp"
#include "core/crypto.hpp"
#include "storage/postgres/postgres_backend.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

bool is_postgres_url(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

void check_database_kind(const Config& config) {
  if (config.database_url.rfind("sqlite:", 0) != 0 && !is_postgres_url(config.database_url)) {
    throw ConfigurationError("DATABASE_URL", "must be sqlite:PATH or a postgresql:// URL");
  }
}

}  // namespace

bool lists_gateway(const Config& config, std::string_view name) {
  return std::find(config.sms_gateways.begin(), config.sms_gateways.end(), name) != config.sms_gateways.end();
}

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

std::unique_ptr<Repository> open_repository(const Config& config) {
  return storage_backend(config).open_connection();
}

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
    spdlog::warn(
        "config: no JWT_SECRET: using an ephemeral signing key (test mode only); tokens and pending codes "
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

}  // namespace sms_auth
