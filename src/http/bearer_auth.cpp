// Parsing of the Authorization header; verification is the domain's (SessionService::authenticate).
#include "http/bearer_auth.hpp"

#include <algorithm>
#include <cctype>

namespace sms_auth {
namespace {

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view token) {
  const auto padding = token.find_last_not_of('=');
  if (padding == std::string_view::npos) return false;
  const auto body = token.substr(0, padding + 1);
  return std::all_of(body.begin(), body.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
           c == '/';
  });
}

}  // namespace

result<std::string> bearer_token(const HttpRequest& request) {
  const std::string_view header = request.header("authorization");
  if (header.empty()) return make_error(errc::invalid_token, "An Authorization: Bearer access token is required");
  constexpr std::string_view kScheme = "bearer ";
  const bool is_bearer = header.size() > kScheme.size() &&
                         std::equal(kScheme.begin(), kScheme.end(), header.begin(), [](char expected, char actual) {
                           return expected == std::tolower(static_cast<unsigned char>(actual));
                         });
  if (!is_bearer) return make_error(errc::invalid_token, "The Authorization header must use the Bearer scheme");
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (!is_b64token(token)) return make_error(errc::invalid_token, "The bearer token is malformed");
  return std::string(token);
}

}  // namespace sms_auth
