// Admin bearer token check.
#include "http/admin_auth.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "http/bearer_auth.hpp"

namespace sms_auth {

AdminAuth::AdminAuth(std::string_view admin_token) : token_hash_(sha256(admin_token)) {}

result<ok_t> AdminAuth::check(const HttpRequest& request) const {
  const std::string_view header = request.header("authorization");
  const auto presented = bearer_credentials(header);
  if (presented && constant_time_equal(sha256(*presented), token_hash_)) return ok;
  spdlog::warn("admin.refused method={} path={} ip={} reason={}", request.method, log_safe(request.path),
               log_safe(request.client_address), header.empty() ? "no_token" : "bad_token");
  return make_error(errc::invalid_token, "A valid admin bearer token is required");
}

}  // namespace sms_auth
