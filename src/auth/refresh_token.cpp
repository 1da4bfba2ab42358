// Refresh tokens: made from the CSPRNG, stored as SHA-256.
#include "auth/refresh_token.hpp"

namespace sms_auth {

std::string new_refresh_token() {
  return base64url_encode(random_bytes(32));
}

Bytes refresh_token_hash(std::string_view refresh_token) {
  return sha256(refresh_token);
}

}  // namespace sms_auth
