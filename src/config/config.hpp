// The service configuration: every setting of the README's Configuration tables, read from the environment and .env, validated once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ip_network.hpp"
#include "core/result.hpp"

namespace sms_auth {

using EnvMap = std::map<std::string, std::string, std::less<>>;

// The settings of one service each, grouped so that a service takes its group rather than the whole Config.

// One-time codes (OtpService).
struct OtpSettings {
  std::chrono::seconds code_ttl{300};                     // OTP_TTL_SECONDS
  int max_attempts = 5;                                   // OTP_MAX_ATTEMPTS
  std::optional<std::string> fixed_code;                  // SMS_TEST_FIXED_CODE, test mode only
  std::map<std::string, std::string> test_phone_numbers;  // TEST_PHONE_NUMBERS: E.164 -> fixed code, no SMS
};

// The SMS text per locale, and its autofill lines (compose_sms_text).
struct SmsTextSettings {
  std::string default_template;                  // SMS_TEMPLATE: the default locale's
  std::string default_locale = "ru";             // SMS_DEFAULT_LOCALE
  std::map<std::string, std::string> templates;  // every supported locale -> its template
  std::string webotp_domain;                     // "memoir.kz": last line "@memoir.kz #123456"
  std::string android_app_hash;                  // 11 characters of base64: the SMS Retriever hash of the Android app
};

// Abuse and SMS-fraud limits (LimitPolicy, ConversionMonitor).
struct LimitSettings {
  std::chrono::seconds resend_cooldown{60};  // RESEND_COOLDOWN_SECONDS: between two SMS to one number
  int sms_per_number_per_hour = 5;
  int sms_per_number_per_day = 10;
  int sms_per_ip_per_hour = 30;
  int sms_per_prefix_per_hour = 50;
  int sms_global_per_hour = 1000;
  int sms_global_per_day = 10000;
  // SMS of the last hour whose code was never verified, beyond which only returning users and numbers in healthy
  // ranges get one. Derived when unset: a quarter of SMS_GLOBAL_PER_HOUR (kUnverifiedShareOfGlobal, rounded down);
  // 0 disables it.
  int sms_unverified_per_hour = 250;
  static constexpr int kUnverifiedShareOfGlobal = 4;
  // Wrong codes for one number: from one client address (locks that address for the number), and from all of them
  // (then only addresses that failed for the number are refused).
  int failed_verify_per_number_per_address_per_hour = 10;
  int failed_verify_per_number_per_hour = 50;
  int verify_per_ip_per_hour = 200;
  double fraud_min_conversion = 0.2;
  int fraud_min_samples = 20;
  std::chrono::seconds fraud_window{86400};
};

// Sessions after login (SessionService, and OtpService when a login opens one).
struct SessionSettings {
  std::chrono::seconds refresh_token_ttl{2592000};
  std::chrono::seconds refresh_token_idle{2592000};
  std::chrono::seconds refresh_reuse_grace{10};
};

struct Config {
  // HTTP server
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  int worker_threads = 1;  // defaults to the number of cores
  std::vector<IpNetwork> trusted_proxies;
  std::size_t max_connections = 0;               // 0: sized from the file-descriptor limit at start-up
  std::size_t max_connections_per_client = 256;  // per socket peer (IPv6: per /64); 0: no per-peer cap

  // Storage
  std::string database_url = "sqlite:data/sms-auth.db";
  int database_pool_size = 4;  // PostgreSQL: connections (and storage threads) per instance
  // PostgreSQL: named prepared statements; false sends each statement unnamed (poolers without prepared-statement
  // support, such as PgBouncer before 1.21 in transaction mode).
  bool database_prepared_statements = true;

  // SMS and Mobizon
  bool sms_test_mode = false;
  bool sms_test_mode_public = false;  // test mode on a HOST other machines can reach, said explicitly
  std::string mobizon_api_key;  // secret: never logged, never in an error
  std::string mobizon_api_url = "https://api.mobizon.kz/service";
  std::string mobizon_ca_file;
  std::chrono::milliseconds mobizon_timeout{10000};
  std::string sms_sender;  // Mobizon `from`, at most 11 characters; empty: the account's default
  std::optional<double> sms_balance_warn_below;
  std::string mobizon_webhook_secret;
  std::chrono::minutes mobizon_webhook_utc_offset{0};  // how far the clock of eventCreateTs is ahead of UTC
  std::chrono::seconds sms_status_poll_interval{60};     // delivery-status polling of messages not final yet
  std::chrono::seconds sms_balance_check_interval{300};  // balance gauge refresh and low-balance warning

  SmsTextSettings sms_texts;

  // SMS gateways in order of preference, and the generic HTTPS gateway
  std::vector<std::string> sms_gateways{"mobizon"};  // each "mobizon" or "http"; unused in test mode
  std::string sms_http_url;     // https://relay.example/send
  std::string sms_http_secret;  // secret: HMAC key of X-Sms-Auth-Signature, at least 32 bytes
  std::string sms_http_ca_file;
  std::chrono::milliseconds sms_http_timeout{10000};
  int sms_gateway_breaker_failures = 5;           // consecutive outages that open a gateway's breaker
  std::chrono::seconds sms_gateway_breaker_pause{30};  // how long an open breaker skips the gateway

  // One-time codes
  OtpSettings otp;
  std::string otp_secret;  // HMAC key for codes; derived when empty

  // Phone numbers
  std::vector<std::string> allowed_countries{"KZ"};  // empty means any country (`*`)
  std::string default_region = "KZ";

  LimitSettings limits;

  // Tokens
  std::string jwt_secret;  // secret
  std::string jwt_private_key_file;
  std::vector<std::string> jwt_previous_public_key_files;
  std::string jwt_issuer = "sms-auth";
  std::string jwt_audience = "memoir";
  std::chrono::seconds access_token_ttl{1800};
  SessionSettings sessions;

  // Operations
  std::string admin_token;  // secret; admin endpoints are off when empty
  std::string log_level = "info";
  bool log_json = false;
  bool access_log = true;         // one http.access line per request
  std::string metrics_host;       // METRICS_LISTEN: /metrics on a listener of its own; empty: on the public port
  std::uint16_t metrics_port = 0;

  // The original backend's SMS text, with {code} and {minutes}.
  static constexpr const char* kDefaultSmsTemplate = "Ваш код подтверждения Memoir: {code}\n\nКод действителен {minutes}.";
  static constexpr const char* kDefaultSmsTemplateKk = "Memoir растау кодыңыз: {code}\n\nКод {minutes} ішінде жарамды.";
  static constexpr const char* kDefaultSmsTemplateEn = "Your Memoir verification code: {code}\n\nThe code is valid for {minutes}.";
};

// One thing wrong with the configuration, named by its variable.
struct ConfigProblem {
  std::string variable;
  std::string reason;  // never contains the value of a secret
};
using ConfigProblems = std::vector<ConfigProblem>;

// Reads `.env`-style text (KEY=VALUE, # comments, optional quotes, optional `export `) into a map.
// Lines that are not assignments are reported as problems with variable ".env".
EnvMap parse_dotenv(std::string_view text, ConfigProblems& problems);

// The process environment overlaid on the `.env` file of `directory` (the environment wins).
EnvMap read_environment(const std::string& dotenv_path, ConfigProblems& problems);

// "127.0.0.1:9464" or "[::1]:9464" → (host, port): an IP address and a port 1-65535 (METRICS_LISTEN).
std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

// Builds and validates the configuration; on failure, every problem found (not only the first).
result<Config, ConfigProblems> load_config(const EnvMap& env);

}  // namespace sms_auth
