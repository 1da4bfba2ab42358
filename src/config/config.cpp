// Reads the environment and .env into Config, checking each variable and collecting every problem.
#include "config/config.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace sms_auth {
namespace {

std::string trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r");
  return std::string(s.substr(begin, end - begin + 1));
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const auto comma = s.find(',', pos);
    const auto item = trim(s.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads variables one by one into their fields, recording a problem for each bad value.
class Reader {
 public:
  Reader(const EnvMap& env, ConfigProblems& problems) : env_(env), problems_(problems) {}

  const std::string* raw(const char* name) const {
    const auto it = env_.find(name);
    if (it == env_.end() || it->second.empty()) return nullptr;
    return &it->second;
  }

  void problem(std::string variable, std::string reason) { problems_.push_back({std::move(variable), std::move(reason)}); }

  void string(const char* name, std::string& out) {
    if (const auto* v = raw(name)) out = *v;
  }

  void boolean(const char* name, bool& out) {
    const auto* v = raw(name);
    if (!v) return;
    const std::string lower = to_lower_ascii(*v);
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
      out = true;
    } else if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
      out = false;
    } else {
      problem(name, "must be true or false");
    }
  }

  template <class Int>
  void integer(const char* name, Int& out, long long min, long long max) {
    const auto* v = raw(name);
    if (!v) return;
    long long value = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    if (ec != std::errc{} || end != v->data() + v->size()) {
      problem(name, "must be a whole number");
    } else if (value < min || value > max) {
      problem(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    } else {
      out = static_cast<Int>(value);
    }
  }

  void seconds(const char* name, std::chrono::seconds& out, long long min, long long max) {
    long long value = out.count();
    integer(name, value, min, max);
    out = std::chrono::seconds{value};
  }

  void fraction(const char* name, double& out) {
    const auto* v = raw(name);
    if (!v) return;
    std::istringstream in(*v);
    double value = 0;
    if (!(in >> value) || !in.eof() || !std::isfinite(value) || value < 0 || value > 1) {
      problem(name, "must be a number between 0 and 1");
    } else {
      out = value;
    }
  }

 private:
  const EnvMap& env_;
  ConfigProblems& problems_;
};

bool looks_like_placeholder_secret(std::string_view secret) {
  if (std::all_of(secret.begin(), secret.end(), [&](char c) { return c == secret.front(); })) return true;
  const std::string lower = to_lower_ascii(std::string(secret));
  for (std::string_view known : {"changeme", "change-me", "change_me", "your-secret", "your_secret", "secret-key",
                                 "secretkey", "example", "0123456789", "password"}) {
    if (lower.find(known) != std::string::npos) return true;
  }
  return false;
}

// Why a secret is guessable, or nothing: long is not enough when it is a pattern a person typed.
std::optional<std::string> guessable_secret(std::string_view secret) {
  if (secret.empty()) return std::nullopt;
  if (looks_like_placeholder_secret(secret)) return "it looks like a placeholder";
  for (std::size_t period = 1; period <= 8 && period * 2 <= secret.size(); ++period) {
    bool repeats = true;
    for (std::size_t i = period; i < secret.size() && repeats; ++i) repeats = secret[i] == secret[i - period];
    if (repeats) return "it repeats a pattern of " + std::to_string(period) + " characters";
  }
  std::size_t in_runs = 0;  // characters next to their alphabet or digit neighbour (abc, 321, aab)
  for (std::size_t i = 1; i < secret.size(); ++i) {
    const int step = static_cast<unsigned char>(secret[i]) - static_cast<unsigned char>(secret[i - 1]);
    if (step >= -1 && step <= 1) ++in_runs;
  }
  if (in_runs * 2 >= secret.size()) return "it is mostly runs like abcd or 1234";
  std::string distinct(secret);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 10) return "it has only " + std::to_string(distinct.size()) + " different characters";
  return std::nullopt;
}

bool is_loopback(const IpAddress& address) {
  static const IpNetwork v4 = *IpNetwork::parse("127.0.0.0/8");
  static const IpNetwork v6 = *IpNetwork::parse("::1/128");
  return v4.contains(address) || v6.contains(address);
}

bool valid_region(std::string_view r) {
  return r.size() == 2 && std::all_of(r.begin(), r.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// SMS_DEFAULT_LOCALE, SMS_TEMPLATE_<LOCALE>, SMS_WEBOTP_DOMAIN, SMS_ANDROID_APP_HASH. Runs after SMS_TEMPLATE, which
// is the default locale's template.
void read_sms_texts(Reader& r, Config& c) {
  r.string("SMS_DEFAULT_LOCALE", c.sms_texts.default_locale);
  const std::string custom_default = c.sms_texts.default_template;
  if (c.sms_texts.default_locale != "ru" && c.sms_texts.default_locale != "kk" && c.sms_texts.default_locale != "en") {
    r.problem("SMS_DEFAULT_LOCALE", "must be ru, kk or en");
    c.sms_texts.default_locale = "ru";
  }
  const bool template_set = r.raw("SMS_TEMPLATE") != nullptr;
  const std::pair<const char*, const char*> locales[] = {
      {"ru", Config::kDefaultSmsTemplate}, {"kk", Config::kDefaultSmsTemplateKk}, {"en", Config::kDefaultSmsTemplateEn}};
  for (const auto& [locale, builtin] : locales) {
    const std::string variable = "SMS_TEMPLATE_" + to_upper_ascii(locale);
    std::string text = builtin;
    const bool is_default = c.sms_texts.default_locale == locale;
    if (is_default && template_set) text = custom_default;
    if (const auto* v = r.raw(variable.c_str())) {
      if (is_default && template_set) {
        r.problem(variable, "is the default locale's template, which SMS_TEMPLATE already sets: set only one");
      }
      text = *v;
      if (text.find("{code}") == std::string::npos) r.problem(variable, "must contain {code}");
    }
    c.sms_texts.templates[locale] = text;
  }
  c.sms_texts.default_template = c.sms_texts.templates[c.sms_texts.default_locale];

  r.string("SMS_WEBOTP_DOMAIN", c.sms_texts.webotp_domain);
  if (!c.sms_texts.webotp_domain.empty()) {
    const auto& d = c.sms_texts.webotp_domain;
    const bool shape_ok = d.size() <= 253 && d.find('.') != std::string::npos && d.front() != '.' &&
                          d.back() != '.' && d.front() != '-' && d.find("..") == std::string::npos &&
                          std::all_of(d.begin(), d.end(), [](unsigned char ch) {
                            return std::islower(ch) || std::isdigit(ch) || ch == '-' || ch == '.';
                          });
    if (!shape_ok) {
      r.problem("SMS_WEBOTP_DOMAIN", "must be the page's host name in lower case, e.g. memoir.kz (no scheme, port or path)");
    }
  }
  r.string("SMS_ANDROID_APP_HASH", c.sms_texts.android_app_hash);
  if (!c.sms_texts.android_app_hash.empty()) {
    const auto& h = c.sms_texts.android_app_hash;
    const bool shape_ok = h.size() == 11 && std::all_of(h.begin(), h.end(), [](unsigned char ch) {
                            return std::isalnum(ch) || ch == '+' || ch == '/';
                          });
    if (!shape_ok) {
      r.problem("SMS_ANDROID_APP_HASH", "must be the 11-character SMS Retriever hash of the app (letters, digits, + and /)");
    }
  }
}

// SMS_GATEWAYS and the generic HTTPS gateway's SMS_HTTP_* settings, and the breaker.
void read_sms_gateways(Reader& r, Config& c) {
  if (const auto* v = r.raw("SMS_GATEWAYS")) {
    c.sms_gateways.clear();
    for (auto item : split_list(*v)) {
      if (item != "mobizon" && item != "http") {
        r.problem("SMS_GATEWAYS", "'" + item + "' is not a gateway (use mobizon and/or http, in order of preference)");
      } else if (std::find(c.sms_gateways.begin(), c.sms_gateways.end(), item) != c.sms_gateways.end()) {
        r.problem("SMS_GATEWAYS", "lists " + item + " twice");
      } else {
        c.sms_gateways.push_back(item);
      }
    }
    if (c.sms_gateways.empty()) r.problem("SMS_GATEWAYS", "must name at least one gateway: mobizon, http");
  }
  const bool uses_http = std::find(c.sms_gateways.begin(), c.sms_gateways.end(), "http") != c.sms_gateways.end();
  r.string("SMS_HTTP_URL", c.sms_http_url);
  if (!c.sms_http_url.empty() && c.sms_http_url.rfind("https://", 0) != 0) {
    r.problem("SMS_HTTP_URL", "must be an https:// URL, e.g. https://relay.example.com/sms");
  } else if (c.sms_http_url.empty() && uses_http && !c.sms_test_mode) {
    r.problem("SMS_HTTP_URL", "is required when SMS_GATEWAYS lists http");
  }
  r.string("SMS_HTTP_SECRET", c.sms_http_secret);
  if (!c.sms_http_secret.empty()) {
    if (c.sms_http_secret.size() < 32 || looks_like_placeholder_secret(c.sms_http_secret)) {
      r.problem("SMS_HTTP_SECRET", "must be a random string of at least 32 bytes (try: openssl rand -hex 32)");
    }
  } else if (!c.sms_http_url.empty()) {
    r.problem("SMS_HTTP_SECRET", "is required with SMS_HTTP_URL (the relay checks each request's signature with it)");
  }
  r.string("SMS_HTTP_CA_FILE", c.sms_http_ca_file);
  if (!c.sms_http_ca_file.empty() && !std::ifstream(c.sms_http_ca_file)) {
    r.problem("SMS_HTTP_CA_FILE", "cannot read " + c.sms_http_ca_file);
  }
  {
    long long timeout_ms = c.sms_http_timeout.count();
    r.integer("SMS_HTTP_TIMEOUT_MS", timeout_ms, 100, 120000);
    c.sms_http_timeout = std::chrono::milliseconds{timeout_ms};
  }
  r.integer("SMS_GATEWAY_BREAKER_FAILURES", c.sms_gateway_breaker_failures, 1, 1000);
  r.seconds("SMS_GATEWAY_BREAKER_SECONDS", c.sms_gateway_breaker_pause, 1, 3600);
}

}  // namespace

EnvMap parse_dotenv(std::string_view text, ConfigProblems& problems) {
  EnvMap out;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto newline = text.find('\n', pos);
    std::string line = trim(text.substr(pos, newline == std::string_view::npos ? std::string_view::npos : newline - pos));
    pos = newline == std::string_view::npos ? text.size() : newline + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(std::string_view(line).substr(7));
    const auto eq = line.find('=');
    const std::string key = eq == std::string::npos ? std::string{} : trim(std::string_view(line).substr(0, eq));
    if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; })) {
      problems.push_back({".env", "line " + std::to_string(line_number) + " is not KEY=VALUE"});
      continue;
    }
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      const char quote = value.front();
      value = value.substr(1, value.size() - 2);
      if (quote == '"') {
        // Double quotes allow \n, so that a multi-line SMS template fits on one line.
        std::string unescaped;
        for (std::size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) {
            const char next = value[++i];
            unescaped += next == 'n' ? '\n' : next;
          } else {
            unescaped += value[i];
          }
        }
        value = std::move(unescaped);
      }
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(std::string_view(value).substr(0, hash));  // an unquoted value may end with a comment
    }
    out[key] = value;
  }
  return out;
}

EnvMap read_environment(const std::string& dotenv_path, ConfigProblems& problems) {
  EnvMap env;
  std::ifstream file(dotenv_path);
  if (file) {
    std::stringstream content;
    content << file.rdbuf();
    env = parse_dotenv(content.str(), problems);
  }
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  }
  return env;
}

std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;  // brackets are for IPv6 only
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets, or the port is ambiguous
  }
  if (!IpAddress::parse(std::string(host))) return std::nullopt;
  unsigned port = 0;
  for (char ch : port_text) {
    if (ch < '0' || ch > '9' || port > 65535) return std::nullopt;
    port = port * 10 + static_cast<unsigned>(ch - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  return std::pair{std::string(host), static_cast<std::uint16_t>(port)};
}

result<Config, ConfigProblems> load_config(const EnvMap& env) {
  Config c;
  ConfigProblems problems;
  Reader r(env, problems);

  c.worker_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.sms_texts.default_template = Config::kDefaultSmsTemplate;

  r.string("HOST", c.host);
  if (!IpAddress::parse(c.host)) r.problem("HOST", "must be an IP address to listen on, such as 127.0.0.1 or 0.0.0.0");
  r.integer("PORT", c.port, 0, 65535);
  r.integer("WORKER_THREADS", c.worker_threads, 1, 256);
  r.integer("MAX_CONNECTIONS", c.max_connections, 0, 10000000);
  r.integer("MAX_CONNECTIONS_PER_CLIENT", c.max_connections_per_client, 0, 10000000);
  if (const auto* v = r.raw("TRUSTED_PROXIES")) {
    for (const auto& item : split_list(*v)) {
      if (auto network = IpNetwork::parse(item)) {
        c.trusted_proxies.push_back(*network);
      } else {
        r.problem("TRUSTED_PROXIES", "'" + item + "' is not an IP address or CIDR block");
      }
    }
  }

  r.string("DATABASE_URL", c.database_url);
  if (c.database_url.rfind("sqlite:", 0) != 0 && c.database_url.rfind("postgresql://", 0) != 0 &&
      c.database_url.rfind("postgres://", 0) != 0) {
    r.problem("DATABASE_URL", "must start with sqlite: or postgresql://");
  } else if (c.database_url == "sqlite:") {
    r.problem("DATABASE_URL", "sqlite: needs a file path, e.g. sqlite:data/sms-auth.db");
  }
  r.integer("DATABASE_POOL_SIZE", c.database_pool_size, 1, 64);
  r.boolean("DATABASE_PREPARED_STATEMENTS", c.database_prepared_statements);

  r.boolean("SMS_TEST_MODE", c.sms_test_mode);
  r.boolean("SMS_TEST_MODE_PUBLIC", c.sms_test_mode_public);
  if (const auto listen = IpAddress::parse(c.host);
      listen && c.sms_test_mode && !c.sms_test_mode_public && !is_loopback(*listen)) {
    r.problem("SMS_TEST_MODE", "is true while HOST=" + c.host +
                                   " can be reached from other machines: codes are written to the log and anyone "
                                   "could log in as anyone; listen on HOST=127.0.0.1, or set "
                                   "SMS_TEST_MODE_PUBLIC=true if this test server is meant to be reachable");
  }
  read_sms_gateways(r, c);
  const bool uses_mobizon =
      std::find(c.sms_gateways.begin(), c.sms_gateways.end(), "mobizon") != c.sms_gateways.end();
  r.string("MOBIZON_API_KEY", c.mobizon_api_key);
  if (!c.mobizon_api_key.empty()) {
    const bool shape_ok = (c.mobizon_api_key.size() == 40 || c.mobizon_api_key.size() == 70) &&
                          std::all_of(c.mobizon_api_key.begin(), c.mobizon_api_key.end(),
                                      [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); });
    if (!shape_ok) r.problem("MOBIZON_API_KEY", "must be 40 or 70 lower-case letters and digits (copy it from the Mobizon panel)");
  } else if (!c.sms_test_mode && uses_mobizon) {
    r.problem("MOBIZON_API_KEY", "is required when SMS_TEST_MODE=false (or set SMS_TEST_MODE=true for development)");
  }
  r.string("MOBIZON_API_URL", c.mobizon_api_url);
  if (c.mobizon_api_url.rfind("https://", 0) != 0) {
    r.problem("MOBIZON_API_URL", "must be an https:// URL, e.g. https://api.mobizon.kz/service");
  }
  while (!c.mobizon_api_url.empty() && c.mobizon_api_url.back() == '/') c.mobizon_api_url.pop_back();
  r.string("MOBIZON_CA_FILE", c.mobizon_ca_file);
  if (!c.mobizon_ca_file.empty() && !std::ifstream(c.mobizon_ca_file)) {
    r.problem("MOBIZON_CA_FILE", "cannot read " + c.mobizon_ca_file);
  }
  {
    long long timeout_ms = c.mobizon_timeout.count();
    r.integer("MOBIZON_TIMEOUT_MS", timeout_ms, 100, 120000);
    c.mobizon_timeout = std::chrono::milliseconds{timeout_ms};
  }
  r.string("SMS_SENDER", c.sms_sender);
  if (c.sms_sender.size() > 11) r.problem("SMS_SENDER", "must be at most 11 characters (Mobizon's alpha-name limit)");
  r.string("SMS_TEMPLATE", c.sms_texts.default_template);
  if (c.sms_texts.default_template.find("{code}") == std::string::npos)
    r.problem("SMS_TEMPLATE", "must contain {code}");
  read_sms_texts(r, c);
  if (const auto* v = r.raw("SMS_BALANCE_WARN_BELOW")) {
    std::istringstream in(*v);
    double value = 0;
    if (!(in >> value) || !in.eof() || !std::isfinite(value) || value < 0) {
      r.problem("SMS_BALANCE_WARN_BELOW", "must be a non-negative number");
    } else {
      c.sms_balance_warn_below = value;
    }
  }
  r.string("MOBIZON_WEBHOOK_SECRET", c.mobizon_webhook_secret);
  if (!c.mobizon_webhook_secret.empty() && c.mobizon_webhook_secret.size() < 16) {
    r.problem("MOBIZON_WEBHOOK_SECRET",
              "must be at least 16 characters (the secret set on the webhook in the Mobizon panel)");
  } else if (const auto weak = guessable_secret(c.mobizon_webhook_secret)) {
    r.problem("MOBIZON_WEBHOOK_SECRET", "is guessable: " + *weak +
                                            "; set a random one here and in the Mobizon panel (try: openssl rand "
                                            "-hex 24)");
  }
  {
    long long offset_minutes = c.mobizon_webhook_utc_offset.count();
    r.integer("MOBIZON_WEBHOOK_UTC_OFFSET_MINUTES", offset_minutes, -720, 840);
    c.mobizon_webhook_utc_offset = std::chrono::minutes{offset_minutes};
  }
  r.seconds("SMS_STATUS_POLL_SECONDS", c.sms_status_poll_interval, 1, 3600);
  r.seconds("SMS_BALANCE_CHECK_SECONDS", c.sms_balance_check_interval, 1, 86400);

  r.seconds("OTP_TTL_SECONDS", c.otp.code_ttl, 1, 600);  // NIST SP 800-63B: at most 10 minutes
  r.integer("OTP_MAX_ATTEMPTS", c.otp.max_attempts, 1, 10);
  r.seconds("RESEND_COOLDOWN_SECONDS", c.limits.resend_cooldown, 0, 3600);
  if (const auto* v = r.raw("SMS_TEST_FIXED_CODE")) {
    if (!c.sms_test_mode) {
      r.problem("SMS_TEST_FIXED_CODE", "is only allowed with SMS_TEST_MODE=true");
    } else if (v->size() != 6 || !is_digits(*v)) {
      r.problem("SMS_TEST_FIXED_CODE", "must be 6 digits");
    } else {
      c.otp.fixed_code = *v;
    }
  }
  if (const auto* v = r.raw("TEST_PHONE_NUMBERS")) {
    for (const auto& item : split_list(*v)) {
      const auto colon = item.find(':');
      const std::string number = trim(std::string_view(item).substr(0, colon));
      const std::string code = colon == std::string::npos ? std::string{} : trim(std::string_view(item).substr(colon + 1));
      if (number.size() < 8 || number.front() != '+' || !is_digits(std::string_view(number).substr(1)) ||
          code.size() != 6 || !is_digits(code)) {
        r.problem("TEST_PHONE_NUMBERS", "entries must look like +77000000001:111111");
        break;
      }
      c.otp.test_phone_numbers[number] = code;
    }
  }
  r.string("OTP_SECRET", c.otp_secret);
  if (!c.otp_secret.empty() && c.otp_secret.size() < 32) {
    r.problem("OTP_SECRET", "must be at least 32 bytes (try: openssl rand -base64 48)");
  } else if (const auto weak = guessable_secret(c.otp_secret)) {
    r.problem("OTP_SECRET", "is guessable: " + *weak + " (make a random one: openssl rand -base64 48)");
  }

  if (const auto* v = r.raw("ALLOWED_COUNTRIES")) {
    c.allowed_countries.clear();
    for (auto item : split_list(*v)) {
      item = to_upper_ascii(std::move(item));
      if (item == "*") {
        c.allowed_countries.clear();
        break;
      }
      if (!valid_region(item)) {
        r.problem("ALLOWED_COUNTRIES", "'" + item + "' is not a two-letter ISO region code (or *)");
      } else {
        c.allowed_countries.push_back(item);
      }
    }
  }
  r.string("DEFAULT_REGION", c.default_region);
  c.default_region = to_upper_ascii(std::move(c.default_region));
  if (!valid_region(c.default_region)) r.problem("DEFAULT_REGION", "must be a two-letter ISO region code such as KZ");

  r.integer("SMS_PER_NUMBER_PER_HOUR", c.limits.sms_per_number_per_hour, 1, 1000000);
  r.integer("SMS_PER_NUMBER_PER_DAY", c.limits.sms_per_number_per_day, 1, 1000000);
  r.integer("SMS_PER_IP_PER_HOUR", c.limits.sms_per_ip_per_hour, 1, 1000000);
  r.integer("SMS_PER_PREFIX_PER_HOUR", c.limits.sms_per_prefix_per_hour, 1, 1000000);
  r.integer("SMS_GLOBAL_PER_HOUR", c.limits.sms_global_per_hour, 1, 100000000);
  r.integer("SMS_GLOBAL_PER_DAY", c.limits.sms_global_per_day, 1, 100000000);
  // Derived: a quarter of the hourly cap, so that pumping is stopped with three quarters of the cap left for real
  // users. A cap under 4 is its own budget (the derived one is 0: off).
  c.limits.sms_unverified_per_hour = c.limits.sms_global_per_hour / LimitSettings::kUnverifiedShareOfGlobal;
  r.integer("SMS_UNVERIFIED_PER_HOUR", c.limits.sms_unverified_per_hour, 0, 100000000);
  r.integer("FAILED_VERIFY_PER_NUMBER_PER_ADDRESS_PER_HOUR", c.limits.failed_verify_per_number_per_address_per_hour, 1,
            1000000);
  r.integer("FAILED_VERIFY_PER_NUMBER_PER_HOUR", c.limits.failed_verify_per_number_per_hour, 1, 1000000);
  r.integer("VERIFY_PER_IP_PER_HOUR", c.limits.verify_per_ip_per_hour, 1, 1000000);
  r.fraction("FRAUD_MIN_CONVERSION", c.limits.fraud_min_conversion);
  r.integer("FRAUD_MIN_SAMPLES", c.limits.fraud_min_samples, 1, 1000000);
  r.seconds("FRAUD_WINDOW_SECONDS", c.limits.fraud_window, 60, 30 * 86400);

  r.string("JWT_SECRET", c.jwt_secret);
  r.string("JWT_PRIVATE_KEY_FILE", c.jwt_private_key_file);
  if (const auto* v = r.raw("JWT_PREVIOUS_PUBLIC_KEY_FILES")) c.jwt_previous_public_key_files = split_list(*v);
  if (!c.jwt_secret.empty()) {
    if (c.jwt_secret.size() < 32) {
      r.problem("JWT_SECRET", "must be at least 32 bytes (try: openssl rand -base64 48)");
    } else if (looks_like_placeholder_secret(c.jwt_secret)) {
      r.problem("JWT_SECRET", "looks like a placeholder, not a random secret (try: openssl rand -base64 48)");
    } else if (const auto weak = guessable_secret(c.jwt_secret)) {
      r.problem("JWT_SECRET", "is guessable: " + *weak + " (make a random one: openssl rand -base64 48)");
    }
  }
  if (!c.jwt_secret.empty() && !c.jwt_private_key_file.empty()) {
    r.problem("JWT_PRIVATE_KEY_FILE", "set either JWT_SECRET (HS256) or JWT_PRIVATE_KEY_FILE (EdDSA), not both");
  }
  if (!c.jwt_previous_public_key_files.empty() && c.jwt_private_key_file.empty()) {
    r.problem("JWT_PREVIOUS_PUBLIC_KEY_FILES", "only applies with JWT_PRIVATE_KEY_FILE (Ed25519 key rotation)");
  }
  if (c.jwt_secret.empty() && c.jwt_private_key_file.empty() && !c.sms_test_mode) {
    r.problem("JWT_SECRET", "is required (or JWT_PRIVATE_KEY_FILE) unless SMS_TEST_MODE=true");
  }
  r.string("JWT_ISSUER", c.jwt_issuer);
  r.string("JWT_AUDIENCE", c.jwt_audience);
  r.seconds("ACCESS_TOKEN_TTL_SECONDS", c.access_token_ttl, 1, 86400);
  r.seconds("REFRESH_TOKEN_TTL_SECONDS", c.sessions.refresh_token_ttl, 1, 366LL * 86400);
  c.sessions.refresh_token_idle = c.sessions.refresh_token_ttl;
  r.seconds("REFRESH_TOKEN_IDLE_SECONDS", c.sessions.refresh_token_idle, 1, 366LL * 86400);
  r.seconds("REFRESH_REUSE_GRACE_SECONDS", c.sessions.refresh_reuse_grace, 0, 300);

  r.string("ADMIN_TOKEN", c.admin_token);
  if (!c.admin_token.empty() && (c.admin_token.size() < 32 || looks_like_placeholder_secret(c.admin_token))) {
    r.problem("ADMIN_TOKEN", "must be a random string of at least 32 characters (try: openssl rand -hex 32)");
  } else if (const auto weak = guessable_secret(c.admin_token)) {
    r.problem("ADMIN_TOKEN", "is guessable: " + *weak + " (make a random one: openssl rand -hex 32)");
  }
  r.string("LOG_LEVEL", c.log_level);
  if (c.log_level != "trace" && c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error" && c.log_level != "critical" && c.log_level != "off") {
    r.problem("LOG_LEVEL", "must be one of trace, debug, info, warn, error, critical, off");
  }
  if (const auto* v = r.raw("LOG_FORMAT")) {
    if (*v == "json") {
      c.log_json = true;
    } else if (*v != "text") {
      r.problem("LOG_FORMAT", "must be text or json");
    }
  }
  r.boolean("ACCESS_LOG", c.access_log);
  if (const auto* v = r.raw("METRICS_LISTEN"); v && !v->empty()) {
    if (auto listen = parse_listen_address(*v)) {
      c.metrics_host = listen->first;
      c.metrics_port = listen->second;
      if (c.metrics_port == c.port && c.port != 0) {
        r.problem("METRICS_LISTEN", "must use another port than PORT=" + std::to_string(c.port));
      }
    } else {
      r.problem("METRICS_LISTEN", "must be HOST:PORT with an IP address and a port 1-65535, such as 127.0.0.1:9464");
    }
  }

  if (!problems.empty()) return problems;
  return c;
}

}  // namespace sms_auth
