// The JWKS document from the service's verification keys.
#include "http/handlers/jwks_handlers.hpp"

#include "http/json_body.hpp"

namespace sms_auth {
namespace {

// Verifiers may cache the document a few minutes; after a key rotation they meet an unknown `kid` and fetch it again
// (the usual JWKS client behaviour), while the previous key stays listed for the tokens it signed.
constexpr const char* kCacheControl = "public, max-age=300";

}  // namespace

JwksHandlers::JwksHandlers(const AccessTokens& tokens) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& key : tokens.keys()) {
    const auto jwk = key->public_jwk();
    if (!jwk) continue;
    keys.push_back({{"kty", jwk->kty}, {"crv", jwk->crv}, {"x", jwk->x}, {"kid", jwk->kid}, {"alg", jwk->alg},
                    {"use", "sig"}});
  }
  document_ = to_json_text({{"keys", keys}});
}

std::vector<Route> JwksHandlers::routes() {
  return {{"GET", "/.well-known/jwks.json", std::bind_front(&JwksHandlers::jwks, this)}};
}

awaitable<HttpResponse> JwksHandlers::jwks(HttpRequest) {
  HttpResponse response;
  response.content_type = "application/json";
  response.headers.emplace_back("Cache-Control", kCacheControl);
  response.body = document_;
  co_return response;
}

}  // namespace sms_auth
