// JWT encoding and verification by hand over OpenSSL: libjwt 1.10 (Debian 12) neither pins the algorithm nor checks
// exp/nbf, and accepts a NULL key as success, so its checks would have to be rewritten around it anyway.
#include "auth/jwt.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace sms_auth {
namespace {

constexpr std::int64_t kLeewaySeconds = 30;

Error invalid_token(std::string detail) { return make_error(errc::invalid_token, std::move(detail)); }

bool audience_matches(const nlohmann::json& aud, const std::string& expected) {
  if (aud.is_string()) return aud.get<std::string>() == expected;
  if (aud.is_array()) {
    for (const auto& item : aud) {
      if (item.is_string() && item.get<std::string>() == expected) return true;
    }
  }
  return false;
}

const std::string* string_claim(const nlohmann::json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

std::optional<std::int64_t> time_claim(const nlohmann::json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

Hs256Key::Hs256Key(Bytes secret) : secret_(std::move(secret)) {
  if (secret_.size() < 32) throw std::invalid_argument("HS256 secret must be at least 32 bytes");
}

Bytes Hs256Key::sign(std::string_view signing_input) const { return hmac_sha256(secret_, signing_input); }

bool Hs256Key::verify(std::string_view signing_input, const Bytes& signature) const {
  return constant_time_equal(hmac_sha256(secret_, signing_input), signature);
}

AccessTokens::AccessTokens(std::vector<std::shared_ptr<const JwtKey>> keys, std::string issuer, std::string audience,
                           std::chrono::seconds ttl)
    : keys_(std::move(keys)), issuer_(std::move(issuer)), audience_(std::move(audience)), ttl_(ttl) {
  if (keys_.empty() || !keys_.front()->can_sign()) throw std::invalid_argument("AccessTokens: no signing key");
}

IssuedAccessToken AccessTokens::issue(std::string user_id, std::string session_id, std::string phone_number,
                                      TimePoint now) const {
  const JwtKey& key = *keys_.front();
  IssuedAccessToken out;
  out.claims.subject = std::move(user_id);
  out.claims.session_id = std::move(session_id);
  out.claims.phone_number = std::move(phone_number);
  out.claims.issued_at = to_unix_seconds(now);
  out.claims.not_before = out.claims.issued_at;
  out.claims.expires_at = out.claims.issued_at + ttl_.count();
  out.claims.token_id = base64url_encode(random_bytes(16));

  nlohmann::json header = {{"alg", key.algorithm()}, {"typ", "at+jwt"}};
  if (!key.key_id().empty()) header["kid"] = key.key_id();
  const nlohmann::json payload = {
      {"iss", issuer_},
      {"aud", audience_},
      {"sub", out.claims.subject},
      {"sid", out.claims.session_id},
      {"phone_number", out.claims.phone_number},
      {"iat", out.claims.issued_at},
      {"nbf", out.claims.not_before},
      {"exp", out.claims.expires_at},
      {"jti", out.claims.token_id},
  };
  std::string signing_input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  const Bytes signature = key.sign(signing_input);
  out.token = std::move(signing_input) + "." + base64url_encode(signature);
  return out;
}

result<AccessTokenClaims> AccessTokens::verify(std::string_view token, TimePoint now) const {
  if (token.size() > 8192) return invalid_token("the token is too long");
  const auto first_dot = token.find('.');
  const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return invalid_token("the token is not a JWT");
  }
  std::string header_text, payload_text, signature_text;
  if (!base64url_decode(token.substr(0, first_dot), header_text) ||
      !base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1), payload_text) ||
      !base64url_decode(token.substr(second_dot + 1), signature_text)) {
    return invalid_token("the token is not a JWT");
  }
  const auto header = nlohmann::json::parse(header_text, nullptr, false);
  if (!header.is_object()) return invalid_token("the token header is not JSON");
  const auto* typ = string_claim(header, "typ");
  if (typ == nullptr || (*typ != "at+jwt" && *typ != "application/at+jwt")) {
    return invalid_token("the token is not an access token");
  }
  const auto* alg = string_claim(header, "alg");
  const auto* kid = string_claim(header, "kid");
  const JwtKey* key = nullptr;
  for (const auto& candidate : keys_) {
    if (alg != nullptr && *alg == candidate->algorithm() &&
        (candidate->key_id().empty() || (kid != nullptr && *kid == candidate->key_id()))) {
      key = candidate.get();
      break;
    }
  }
  if (key == nullptr) return invalid_token("the token's algorithm or key is not accepted");
  if (!key->verify(token.substr(0, second_dot), to_bytes(signature_text))) {
    return invalid_token("the token signature is invalid");
  }

  const auto payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (!payload.is_object()) return invalid_token("the token payload is not JSON");
  const auto* iss = string_claim(payload, "iss");
  if (iss == nullptr || *iss != issuer_) return invalid_token("the token issuer is wrong");
  const auto aud = payload.find("aud");
  if (aud == payload.end() || !audience_matches(*aud, audience_)) return invalid_token("the token audience is wrong");
  const auto exp = time_claim(payload, "exp");
  const auto iat = time_claim(payload, "iat");
  const auto nbf = time_claim(payload, "nbf");
  const std::int64_t now_seconds = to_unix_seconds(now);
  if (!exp || !iat) return invalid_token("the token has no lifetime");
  if (now_seconds >= *exp + kLeewaySeconds) return invalid_token("the token has expired");
  if (nbf && now_seconds + kLeewaySeconds < *nbf) return invalid_token("the token is not valid yet");
  const auto* sub = string_claim(payload, "sub");
  const auto* sid = string_claim(payload, "sid");
  const auto* jti = string_claim(payload, "jti");
  const auto* phone = string_claim(payload, "phone_number");
  if (sub == nullptr || sid == nullptr || jti == nullptr || phone == nullptr) {
    return invalid_token("the token lacks required claims");
  }
  return AccessTokenClaims{*sub, *sid, *phone, *iat, nbf.value_or(*iat), *exp, *jti};
}

}  // namespace sms_auth
