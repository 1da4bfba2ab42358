// spdlog set-up with a redacting formatter, text or JSON.
#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
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

// Marks a record whose payload log_event rendered twice: "<text>\0<JSON object>". Compared by address, so no
// other record can carry it by accident.
constexpr char kStructuredMark[] = "sms_auth.structured";

bool is_structured(const spdlog::details::log_msg& msg) { return msg.source.funcname == kStructuredMark; }

std::string_view payload_of(const spdlog::details::log_msg& msg) { return {msg.payload.data(), msg.payload.size()}; }

// The text part of a structured record, or the whole payload of any other.
std::string_view text_part(const spdlog::details::log_msg& msg) {
  const std::string_view payload = payload_of(msg);
  if (!is_structured(msg)) return payload;
  return payload.substr(0, payload.rfind('\0'));
}

std::string iso_time(spdlog::log_clock::time_point time) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(since_epoch.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(text, size) + fmt::format(".{:03}Z", since_epoch.count() % 1000);
}

// Text lines: the usual pattern, with the text rendering of a structured record as the message.
class TextFormatter final : public spdlog::formatter {
 public:
  TextFormatter() : pattern_("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v") {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (!is_structured(msg)) {
      pattern_.format(msg, dest);
      return;
    }
    spdlog::details::log_msg text_msg(msg.time, msg.source, msg.logger_name, msg.level, text_part(msg));
    pattern_.format(text_msg, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<TextFormatter>(); }

 private:
  spdlog::pattern_formatter pattern_;
};

// One JSON object per line: "ts" (UTC, ms), "level", then the event's fields; any other record becomes "event"
// (its first word) and "msg" (the whole text).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string head = "{\"ts\":\"" + iso_time(msg.time) + "\",\"level\":\"" +
                       std::string(level.data(), level.size()) + "\",";
    std::string body;
    const std::string_view payload = payload_of(msg);
    if (is_structured(msg)) {
      const std::size_t split = payload.rfind('\0');
      body = std::string(payload.substr(split + 2));  // the object's members, after its "{"
    } else {
      const std::string_view event = payload.substr(0, payload.find_first_of(" :"));
      const nlohmann::json rest = {{"event", std::string(event)}, {"msg", std::string(payload)}};
      body = rest.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(1);
    }
    dest.append(head.data(), head.data() + head.size());
    dest.append(body.data(), body.data() + body.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// The process logger init_logging installs: it knows which rendering its formatter reads, so that log_event renders
// only that one (a JSON rendering costs a tree of allocations that a text line would throw away, and the other way
// round). Any other logger (one a test installs) gets both renderings.
class EventLogger final : public spdlog::logger {
 public:
  EventLogger(std::string name, spdlog::sink_ptr sink, bool json)
      : spdlog::logger(std::move(name), std::move(sink)), json_(json) {}
  bool renders_json() const { return json_; }

 private:
  bool json_;
};

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// A value in the text form: bare when it is one word, else quoted with \" and \\ escaped.
void append_text_value(std::string& out, const LogField::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    if (!text->empty() && text->find_first_of(" \"\\") == std::string::npos) {
      out += *text;
      return;
    }
    out += '"';
    for (char c : *text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    out += std::to_string(*integer);
  } else if (const auto* number = std::get_if<double>(&value)) {
    out += fmt::format("{:.3f}", *number);
  } else {
    out += std::get<bool>(value) ? "true" : "false";
  }
}

nlohmann::ordered_json json_value(const LogField::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return *integer;
  if (const auto* number = std::get_if<double>(&value)) return std::round(*number * 1000) / 1000;  // to the µs
  return std::get<bool>(value);
}

}  // namespace

void init_logging(const LogOptions& options) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::unique_ptr<spdlog::formatter> inner;
  if (options.json) {
    inner = std::make_unique<JsonFormatter>();
  } else {
    inner = std::make_unique<TextFormatter>();
  }
  sink->set_formatter(std::make_unique<RedactingFormatter>(std::move(inner)));
  auto logger = std::make_shared<EventLogger>("sms-auth", sink, options.json);
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::trace);  // a crash or kill -9 must not lose the lines before it
  spdlog::set_default_logger(std::move(logger));
}

std::string render_event_text(const LogContext& context, std::string_view event,
                              std::initializer_list<LogField> fields, std::string_view message) {
  std::string out(event);
  for (const auto& field : fields) {
    out += ' ';
    if (field.name != "result") {
      out += field.name == "client" ? std::string_view("ip") : field.name;
      out += '=';
    }
    append_text_value(out, field.value);
  }
  if (!context.request_id.empty()) out += " request_id=" + context.request_id;
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

std::string render_event_json(const LogContext& context, std::string_view event,
                              std::initializer_list<LogField> fields, std::string_view message) {
  nlohmann::ordered_json line;
  line["event"] = std::string(event);
  if (!context.request_id.empty()) line["request_id"] = context.request_id;
  for (const auto& field : fields) line[std::string(field.name)] = json_value(field.value);
  if (!message.empty()) line["msg"] = std::string(message);
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Which renderings the process logger's formatter may read.
struct Renderings {
  bool text = true;
  bool json = true;
};

Renderings renderings_of(spdlog::logger* logger) {
  if (const auto* ours = dynamic_cast<const EventLogger*>(logger)) {
    return {.text = !ours->renders_json(), .json = ours->renders_json()};
  }
  return {};
}

// A structured record's payload, "<text>\0<JSON object>"; the rendering the formatter will not read is left empty.
void log_structured(spdlog::logger* logger, spdlog::level::level_enum level, std::string_view text,
                    const std::string& json) {
  std::string payload;
  payload.reserve(text.size() + 1 + json.size());
  payload.append(text);
  payload += '\0';
  payload += json;
  logger->log(spdlog::source_loc{kStructuredMark, 1, kStructuredMark}, level,
              spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace

void log_event(LogLevel level, const LogContext& context, std::string_view event,
               std::initializer_list<LogField> fields, std::string_view message) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  const auto spd_level = spdlog_level(level);
  if (!logger->should_log(spd_level)) return;
  const Renderings wanted = renderings_of(logger);
  const std::string text = wanted.text ? render_event_text(context, event, fields, message) : std::string();
  const std::string json = wanted.json ? render_event_json(context, event, fields, message) : std::string();
  log_structured(logger, spd_level, text, json);
}

void log_event_as(LogLevel level, const LogContext& context, std::string_view text, std::string_view event,
                  std::initializer_list<LogField> fields, std::string_view message) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  const auto spd_level = spdlog_level(level);
  if (!logger->should_log(spd_level)) return;
  const Renderings wanted = renderings_of(logger);
  const std::string json = wanted.json ? render_event_json(context, event, fields, message) : std::string();
  log_structured(logger, spd_level, wanted.text ? text : std::string_view(), json);
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
