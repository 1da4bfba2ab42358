// GET /.well-known/jwks.json: the public keys that verify our access tokens (RFC 7517), for other services.
#pragma once

#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "http/router.hpp"

namespace sms_auth {

class JwksHandlers {
 public:
  // The document is built once: keys change only with a restart.
  explicit JwksHandlers(const AccessTokens& tokens);

  std::vector<Route> routes();

  // {"keys": [...]}: every Ed25519 key, signing key first; empty with HS256, whose secret is never published.
  awaitable<HttpResponse> jwks(HttpRequest request);

 private:
  std::string document_;
};

}  // namespace sms_auth
