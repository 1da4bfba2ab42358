// Logging set-up (text or one JSON object per line), structured events, and the helpers that keep secrets and
// personal data out of logs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace sms_auth {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  bool json = false;           // one JSON object per line instead of text
};

// Installs the process logger (stderr). Every record passes through redact_secrets, whatever its origin, as a last
// line of defence behind the rule that secrets are never handed to the logger in the first place.
void init_logging(const LogOptions& options);

// What every line logged on behalf of one request carries. Handed down by value with the request (never kept in a
// thread-local or a global): a coroutine may resume on another thread, and another request's coroutine may run on
// this one meanwhile. Empty outside a request (background jobs, start-up).
struct LogContext {
  std::string request_id;
};

enum class LogLevel { debug, info, warn, error };

// One field of a structured log line. Text values are written as given: client-supplied text must go through
// log_safe first, as for any log line.
struct LogField {
  using Value = std::variant<std::string, std::int64_t, double, bool>;

  LogField(std::string_view field_name, std::string_view text) : name(field_name), value(std::string(text)) {}
  LogField(std::string_view field_name, const std::string& text) : name(field_name), value(text) {}
  LogField(std::string_view field_name, const char* text) : name(field_name), value(std::string(text)) {}
  LogField(std::string_view field_name, bool flag) : name(field_name), value(flag) {}
  LogField(std::string_view field_name, double number) : name(field_name), value(number) {}
  template <class Integer>
    requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>)
  LogField(std::string_view field_name, Integer number)
      : name(field_name), value(static_cast<std::int64_t>(number)) {}

  std::string_view name;
  Value value;
};

// One event, as fields: in JSON each field is a member of the line's object (with "ts", "level", "event" and, in a
// request, "request_id"); in text it reads `event result name=value … request_id=…: message`, where a field named
// "result" is written bare after the event (`auth.verify ok`), "client" is written as ip= (the text format's established name), and a
// value with spaces or quotes is quoted.
void log_event(LogLevel level, const LogContext& context, std::string_view event,
               std::initializer_list<LogField> fields, std::string_view message = {});

// log_event for a line whose text form is fixed by compatibility (`text`, written as is, without request_id); the JSON
// line is the event's as usual.
void log_event_as(LogLevel level, const LogContext& context, std::string_view text, std::string_view event,
                  std::initializer_list<LogField> fields, std::string_view message = {});

// The text and the JSON rendering of an event, without the time stamp and level (what log_event hands the logger).
std::string render_event_text(const LogContext& context, std::string_view event,
                              std::initializer_list<LogField> fields, std::string_view message);
std::string render_event_json(const LogContext& context, std::string_view event,
                              std::initializer_list<LogField> fields, std::string_view message);

// "+77472367503" -> "+7747***7503": enough to tell numbers apart in an incident, not enough to identify a person.
std::string mask_phone(std::string_view e164);

// Client-supplied text made safe for a log line: control characters (CR, LF…) escaped, at most `max_size` bytes.
std::string log_safe(std::string_view text, std::size_t max_size = 64);

// Replaces the value of every apiKey=… query parameter with ***.
std::string redact_secrets(std::string_view text);

}  // namespace sms_auth
