// Formatting of times for API responses.
#include "core/clock.hpp"

#include <ctime>

namespace sms_auth {

std::string format_rfc3339(TimePoint t) {
  const std::time_t seconds = static_cast<std::time_t>(to_unix_seconds(t));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const auto size = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, size);
}

}  // namespace sms_auth
