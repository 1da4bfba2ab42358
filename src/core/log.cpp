// spdlog set-up with a redacting formatter, text or JSON.
#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>

namespace sms_auth {
namespace {

// Formats a record with `inner`, then removes secrets from the result.
class RedactingFormatter final : public spdlog::formatter {
 public:
  explicit RedactingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t formatted;
    inner_->format(msg, formatted);
    const std::string_view text(formatted.data(), formatted.size());
    if (text.find("apiKey=") == std::string_view::npos && text.find("apikey=") == std::string_view::npos) {
      dest.append(formatted.data(), formatted.data() + formatted.size());
      return;
    }
    const std::string redacted = redact_secrets(text);
    dest.append(redacted.data(), redacted.data() + redacted.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RedactingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

// One JSON object per line: {"ts": "...", "level": "...", "msg": "..."}.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    nlohmann::json line = {
        {"ts_ms", since_epoch.count()},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

void init_logging(const LogOptions& options) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::unique_ptr<spdlog::formatter> inner;
  if (options.json) {
    inner = std::make_unique<JsonFormatter>();
  } else {
    inner = std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  sink->set_formatter(std::make_unique<RedactingFormatter>(std::move(inner)));
  auto logger = std::make_shared<spdlog::logger>("sms-auth", sink);
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::trace);  // a crash or kill -9 must not lose the lines before it
  spdlog::set_default_logger(std::move(logger));
}

std::string mask_phone(std::string_view e164) {
  if (e164.size() <= 8) return std::string(e164.substr(0, 2)) + "***";
  return std::string(e164.substr(0, 5)) + "***" + std::string(e164.substr(e164.size() - 4));
}

std::string log_safe(std::string_view text, std::size_t max_size) {
  std::string out;
  for (char c : text.substr(0, max_size)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (text.size() > max_size) out += "...";
  return out;
}

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t hit = std::string_view::npos;
    for (std::string_view needle : {std::string_view("apiKey="), std::string_view("apikey=")}) {
      hit = std::min(hit, text.find(needle, pos));
    }
    if (hit == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, hit + 7 - pos));
    out += "***";
    pos = hit + 7;
    while (pos < text.size() && text[pos] != '&' && text[pos] != ' ' && text[pos] != '"' && text[pos] != '\n') ++pos;
  }
  return out;
}

}  // namespace sms_auth
