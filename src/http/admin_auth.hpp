// The bearer check of /api/v1/admin/*: Authorization: Bearer $ADMIN_TOKEN, compared in constant time.
#pragma once

#include <string_view>

#include "core/crypto.hpp"
#include "core/result.hpp"
#include "http/message.hpp"

namespace sms_auth {

class AdminAuth {
 public:
  // `admin_token` must not be empty (admin routes are not mounted without it).
  explicit AdminAuth(std::string_view admin_token);

  // Fails with invalid_token (401 with WWW-Authenticate) when the header is missing, not Bearer, or the token differs.
  // Both sides are hashed first so that the comparison time does not even depend on the presented token's length.
  result<ok_t> check(const HttpRequest& request) const;

 private:
  Bytes token_hash_;
};

}  // namespace sms_auth
