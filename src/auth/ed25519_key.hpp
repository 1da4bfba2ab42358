// Ed25519 (JWS `alg: EdDSA`, RFC 8037) signing and verification keys over OpenSSL, identified by their RFC 7638
// thumbprint, so that other services can verify our access tokens from the JWKS without sharing a secret.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"

struct evp_pkey_st;

namespace sms_auth {

class Ed25519Key final : public JwtKey {
 public:
  // A new key from OpenSSL's CSPRNG.
  static Ed25519Key generate();
  // A PEM PKCS#8 private key ("-----BEGIN PRIVATE KEY-----", as `openssl genpkey -algorithm ed25519` writes).
  // Throws std::invalid_argument if it is not one (other key types, encrypted keys, garbage).
  static Ed25519Key from_private_pem(std::string_view pem);
  // A PEM public key ("-----BEGIN PUBLIC KEY-----"); a private key PEM is accepted too, and only its public half
  // kept. The key verifies but cannot sign. Throws std::invalid_argument if it is not an Ed25519 key.
  static Ed25519Key from_public_pem(std::string_view pem);
  // Raw RFC 8032 keys: the 32-byte private seed, or the 32-byte public key. Throw std::invalid_argument.
  static Ed25519Key from_raw_private(const Bytes& private_key);
  static Ed25519Key from_raw_public(const Bytes& public_key);

  std::string_view algorithm() const override { return "EdDSA"; }
  const std::string& key_id() const override { return key_id_; }
  bool can_sign() const override { return has_private_; }
  Bytes sign(std::string_view signing_input) const override;  // 64 bytes; throws std::logic_error if !can_sign()
  bool verify(std::string_view signing_input, const Bytes& signature) const override;
  std::optional<PublicJwk> public_jwk() const override;

  const Bytes& raw_public_key() const { return public_key_; }
  // The 32-byte private seed; throws std::logic_error if !can_sign(). Secret: never log it.
  Bytes raw_private_key() const;
  std::string private_pem() const;  // PKCS#8; throws std::logic_error if !can_sign()
  std::string public_pem() const;   // SubjectPublicKeyInfo

 private:
  Ed25519Key(std::shared_ptr<evp_pkey_st> key, bool has_private);

  std::shared_ptr<evp_pkey_st> key_;  // immutable after construction: OpenSSL allows concurrent use
  bool has_private_ = false;
  Bytes public_key_;
  std::string key_id_;
};

// RFC 7638 JWK thumbprint of an Ed25519 public key (RFC 8037 §A.3): base64url(SHA-256 of the canonical JWK
// {"crv":"Ed25519","kty":"OKP","x":"…"}).
std::string ed25519_thumbprint(const Bytes& public_key);

}  // namespace sms_auth
