// Logging set-up (text or one JSON object per line) and the helpers that keep secrets and personal data out of logs.
#pragma once

#include <string>
#include <string_view>

namespace sms_auth {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  bool json = false;           // one JSON object per line instead of text
};

// Installs the process logger (stderr). Every record passes through redact_secrets, whatever its origin, as a last
// line of defence behind the rule that secrets are never handed to the logger in the first place.
void init_logging(const LogOptions& options);

// "+77472367503" -> "+7747***7503": enough to tell numbers apart in an incident, not enough to identify a person.
std::string mask_phone(std::string_view e164);

// Client-supplied text made safe for a log line: control characters (CR, LF…) escaped, at most `max_size` bytes.
std::string log_safe(std::string_view text, std::size_t max_size = 64);

// Replaces the value of every apiKey=… query parameter with ***.
std::string redact_secrets(std::string_view text);

}  // namespace sms_auth
