// Admin bearer token check.
#include "http/admin_auth.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "core/log.hpp"

namespace sms_auth {

AdminAuth::AdminAuth(std::string_view admin_token) : token_hash_(sha256(admin_token)) {}

result<ok_t> AdminAuth::check(const HttpRequest& request) const {
  const std::string_view header = request.header("authorization");
  constexpr std::string_view kScheme = "bearer ";
  const bool is_bearer = header.size() > kScheme.size() &&
                         std::equal(kScheme.begin(), kScheme.end(), header.begin(),
                                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  std::string_view presented = is_bearer ? header.substr(kScheme.size()) : std::string_view{};
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  if (is_bearer && constant_time_equal(sha256(presented), token_hash_)) return ok;
  spdlog::warn("admin.refused method={} path={} ip={} reason={}", request.method, log_safe(request.path),
               log_safe(request.client_address), header.empty() ? "no_token" : "bad_token");
  return make_error(errc::invalid_token, "A valid admin bearer token is required");
}

}  // namespace sms_auth
