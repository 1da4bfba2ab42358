// What start-up and the CLI commands build from a Config: storage for DATABASE_URL, the service keys, the Mobizon
// client, and the checks of the configuration as a whole. The CLI needs these and not the whole service.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "config/config.hpp"
#include "metrics/metrics.hpp"
#include "sms/mobizon/mobizon_api.hpp"
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

// Whether SMS_GATEWAYS names this gateway.
bool lists_gateway(const Config& config, std::string_view name);

}  // namespace sms_auth
