// Access tokens: JWTs (RFC 7519, RFC 9068 profile `at+jwt`) signed and verified with a pinned algorithm.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/result.hpp"

namespace sms_auth {

// The public half of an asymmetric key as a JWK (RFC 7517, RFC 8037 for OKP), as the JWKS document publishes it.
struct PublicJwk {
  std::string kty;  // "OKP"
  std::string crv;  // "Ed25519"
  std::string x;    // base64url of the raw public key
  std::string kid;  // RFC 7638 thumbprint
  std::string alg;  // "EdDSA"
};

// A JWS key: HS256 (shared secret) or EdDSA (Ed25519). Verification only accepts tokens whose `alg` equals the
// key's, so a token can never choose its own algorithm (RFC 8725 §3.1).
class JwtKey {
 public:
  virtual ~JwtKey() = default;
  virtual std::string_view algorithm() const = 0;  // "HS256" or "EdDSA"
  virtual const std::string& key_id() const = 0;   // `kid`; empty for HS256
  virtual bool can_sign() const = 0;
  virtual Bytes sign(std::string_view signing_input) const = 0;  // throws if !can_sign()
  virtual bool verify(std::string_view signing_input, const Bytes& signature) const = 0;
  // What may be published for others to verify with; nullopt for a shared secret, which is never published.
  virtual std::optional<PublicJwk> public_jwk() const = 0;
};

// HMAC-SHA256 with a secret of at least 32 bytes (RFC 7518 §3.2).
class Hs256Key final : public JwtKey {
 public:
  explicit Hs256Key(Bytes secret);
  std::string_view algorithm() const override { return "HS256"; }
  const std::string& key_id() const override { return key_id_; }
  bool can_sign() const override { return true; }
  Bytes sign(std::string_view signing_input) const override;
  bool verify(std::string_view signing_input, const Bytes& signature) const override;
  std::optional<PublicJwk> public_jwk() const override { return std::nullopt; }

 private:
  Bytes secret_;
  std::string key_id_;
};

struct AccessTokenClaims {
  std::string subject;       // sub: the user id
  std::string session_id;    // sid: the refresh-token family of this login
  std::string phone_number;  // E.164
  std::int64_t issued_at = 0;
  std::int64_t not_before = 0;
  std::int64_t expires_at = 0;
  std::string token_id;      // jti
};

struct IssuedAccessToken {
  std::string token;
  AccessTokenClaims claims;
};

// Issues and verifies access tokens. The first key signs; all keys verify (a previous key stays valid while
// tokens signed with it have not expired). Thread-safe after construction.
class AccessTokens {
 public:
  AccessTokens(std::vector<std::shared_ptr<const JwtKey>> keys, std::string issuer, std::string audience,
               std::chrono::seconds ttl);

  IssuedAccessToken issue(std::string user_id, std::string session_id, std::string phone_number, TimePoint now) const;

  // Checks structure, `typ`, pinned `alg` (and `kid`), signature, `iss`, `aud`, `exp`/`nbf` with a small leeway.
  // Fails with errc::invalid_token and a detail that names the check (safe to return to the client).
  result<AccessTokenClaims> verify(std::string_view token, TimePoint now) const;

  std::chrono::seconds ttl() const { return ttl_; }
  const std::vector<std::shared_ptr<const JwtKey>>& keys() const { return keys_; }

 private:
  std::vector<std::shared_ptr<const JwtKey>> keys_;
  std::string issuer_;
  std::string audience_;
  std::chrono::seconds ttl_;
};

}  // namespace sms_auth
