// Parsing of the Authorization header; verification is the domain's (SessionService::authenticate).
#include "http/bearer_auth.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

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
  const auto token = bearer_credentials(header);
  if (!token) return make_error(errc::invalid_token, "The Authorization header must use the Bearer scheme");
  if (!is_b64token(*token)) return make_error(errc::invalid_token, "The bearer token is malformed");
  return std::string(*token);
}

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() || !starts_with_ignoring_case(authorization, kScheme)) return std::nullopt;
  std::string_view credentials = authorization.substr(kScheme.size());
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  while (!credentials.empty() && credentials.back() == ' ') credentials.remove_suffix(1);
  return credentials;
}

}  // namespace sms_auth
