// Small text helpers shared by the HTTP header parsing and the domain (one copy of each).
#pragma once

#include <string_view>

namespace sms_auth {

// Without leading and trailing spaces and tabs: the optional whitespace (OWS) of HTTP header values (RFC 9110 §5.6.3).
inline std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace sms_auth
