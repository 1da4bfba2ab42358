// RFC 6750 bearer credentials: the one place that reads `Authorization: Bearer <token>` for protected endpoints.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/message.hpp"

namespace sms_auth {

// The token of the request's `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750 §2.1).
// Fails with invalid_token (401 + WWW-Authenticate) when the header is missing, names another scheme, or the token
// has characters outside the b64token alphabet. The token is not verified here: see SessionService::authenticate.
result<std::string> bearer_token(const HttpRequest& request);

// The credentials of an `Authorization` header value if its scheme is Bearer (any case), without surrounding
// spaces; nullopt for another scheme or none. Shared by the user tokens above and the admin token (AdminAuth).
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

}  // namespace sms_auth
