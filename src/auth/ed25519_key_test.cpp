// Ed25519 keys: RFC 8037 test vectors, PEM round trips, refusal of other key kinds, and EdDSA access tokens.
#include "auth/ed25519_key.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include <cstring>

namespace sms_auth {
namespace {

// RFC 8037 appendix A.
constexpr const char* kRfcPrivate = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr const char* kRfcPublic = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr const char* kRfcThumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
constexpr const char* kRfcSigningInput = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr const char* kRfcSignature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

const TimePoint kNow = from_unix_ms(1'800'000'000'000);

Bytes decode(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64url_decode(text, out));
  return to_bytes(out);
}

nlohmann::json decode_part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  std::string decoded;
  EXPECT_TRUE(base64url_decode(token.substr(start, end - start), decoded));
  return nlohmann::json::parse(decoded);
}

std::string pem_of(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr, const char* passphrase = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  const auto* pass = reinterpret_cast<const unsigned char*>(passphrase);
  PEM_write_bio_PrivateKey(bio, key, cipher, pass, passphrase ? static_cast<int>(std::strlen(passphrase)) : 0, nullptr,
                           nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

TEST(Ed25519Key, ThumbprintMatchesRfc8037) {
  EXPECT_EQ(ed25519_thumbprint(decode(kRfcPublic)), kRfcThumbprint);
  const auto key = Ed25519Key::from_raw_private(decode(kRfcPrivate));
  EXPECT_EQ(base64url_encode(key.raw_public_key()), kRfcPublic);
  EXPECT_EQ(key.key_id(), kRfcThumbprint);
}

TEST(Ed25519Key, SignatureMatchesRfc8037AndVerifies) {
  const auto key = Ed25519Key::from_raw_private(decode(kRfcPrivate));
  EXPECT_EQ(base64url_encode(key.sign(kRfcSigningInput)), kRfcSignature);
  const auto public_only = Ed25519Key::from_raw_public(decode(kRfcPublic));
  EXPECT_TRUE(public_only.verify(kRfcSigningInput, decode(kRfcSignature)));
}

TEST(Ed25519Key, AnyChangedBitOrWrongLengthFailsVerification) {
  const auto key = Ed25519Key::from_raw_public(decode(kRfcPublic));
  Bytes signature = decode(kRfcSignature);
  signature[10] ^= 0x01;
  EXPECT_FALSE(key.verify(kRfcSigningInput, signature));
  std::string input = kRfcSigningInput;
  input[5] ^= 0x01;
  EXPECT_FALSE(key.verify(input, decode(kRfcSignature)));
  EXPECT_FALSE(key.verify(kRfcSigningInput, Bytes(63, 0)));
  EXPECT_FALSE(key.verify(kRfcSigningInput, {}));
}

TEST(Ed25519Key, PrivatePemRoundTripKeepsTheKeyAndPublicPemCannotSign) {
  const auto key = Ed25519Key::generate();
  const std::string pem = key.private_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  const auto reloaded = Ed25519Key::from_private_pem(pem);
  EXPECT_EQ(reloaded.key_id(), key.key_id());
  EXPECT_EQ(reloaded.raw_private_key(), key.raw_private_key());
  EXPECT_TRUE(reloaded.verify("message", key.sign("message")));

  const auto public_only = Ed25519Key::from_public_pem(key.public_pem());
  EXPECT_FALSE(public_only.can_sign());
  EXPECT_EQ(public_only.key_id(), key.key_id());
  EXPECT_TRUE(public_only.verify("message", key.sign("message")));
  EXPECT_THROW(public_only.sign("message"), std::logic_error);
  EXPECT_THROW((void)public_only.private_pem(), std::logic_error);

  // A private key file given as a previous (verification) key keeps only its public half.
  EXPECT_FALSE(Ed25519Key::from_public_pem(pem).can_sign());
}

TEST(Ed25519Key, TwoGeneratedKeysDiffer) {
  EXPECT_NE(Ed25519Key::generate().key_id(), Ed25519Key::generate().key_id());
}

TEST(Ed25519Key, OtherKeyTypesEncryptedKeysAndGarbageAreRefused) {
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  EXPECT_THROW(Ed25519Key::from_private_pem(pem_of(ec)), std::invalid_argument);
  EXPECT_THROW(Ed25519Key::from_public_pem(pem_of(ec)), std::invalid_argument);
  EVP_PKEY_free(ec);

  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ASSERT_NE(ed, nullptr);
  // Encrypted: refused without ever prompting for a passphrase.
  EXPECT_THROW(Ed25519Key::from_private_pem(pem_of(ed, EVP_aes_256_cbc(), "passphrase")), std::invalid_argument);
  EVP_PKEY_free(ed);

  EXPECT_THROW(Ed25519Key::from_private_pem("not a key"), std::invalid_argument);
  EXPECT_THROW(Ed25519Key::from_public_pem(""), std::invalid_argument);
  EXPECT_THROW(Ed25519Key::from_raw_private(Bytes(31, 1)), std::invalid_argument);
  EXPECT_THROW(Ed25519Key::from_raw_public(Bytes(33, 1)), std::invalid_argument);
}

TEST(Ed25519Key, PublicJwkIsTheOkpKeyWithItsThumbprint) {
  const auto key = Ed25519Key::from_raw_public(decode(kRfcPublic));
  const auto jwk = key.public_jwk();
  ASSERT_TRUE(jwk);
  EXPECT_EQ(jwk->kty, "OKP");
  EXPECT_EQ(jwk->crv, "Ed25519");
  EXPECT_EQ(jwk->x, kRfcPublic);
  EXPECT_EQ(jwk->kid, kRfcThumbprint);
  EXPECT_EQ(jwk->alg, "EdDSA");
  EXPECT_FALSE(Hs256Key(Bytes(32, 7)).public_jwk());
}

AccessTokens eddsa_tokens(std::vector<std::shared_ptr<const JwtKey>> keys) {
  return AccessTokens(std::move(keys), "sms-auth", "memoir", std::chrono::seconds(1800));
}

TEST(EdDsaAccessTokens, IssuedTokenNamesAlgAndKidAndVerifies) {
  auto key = std::make_shared<Ed25519Key>(Ed25519Key::generate());
  const auto tokens = eddsa_tokens({key});
  const auto issued = tokens.issue("user-1", "session-1", "+77472367503", kNow);
  const auto header = decode_part(issued.token, 0);
  EXPECT_EQ(header["alg"], "EdDSA");
  EXPECT_EQ(header["typ"], "at+jwt");
  EXPECT_EQ(header["kid"], key->key_id());
  const auto claims = tokens.verify(issued.token, kNow);
  ASSERT_TRUE(claims) << claims.error().detail;
  EXPECT_EQ(claims->subject, "user-1");
}

TEST(EdDsaAccessTokens, PreviousKeyStillVerifiesItsTokensButDoesNotSign) {
  auto old_key = std::make_shared<Ed25519Key>(Ed25519Key::generate());
  const auto old_token = eddsa_tokens({old_key}).issue("u", "s", "+77472367503", kNow).token;
  auto new_key = std::make_shared<Ed25519Key>(Ed25519Key::generate());
  auto old_public = std::make_shared<Ed25519Key>(Ed25519Key::from_public_pem(old_key->public_pem()));
  const auto rotated = eddsa_tokens({new_key, old_public});
  EXPECT_TRUE(rotated.verify(old_token, kNow));
  EXPECT_EQ(decode_part(rotated.issue("u", "s", "+77472367503", kNow).token, 0)["kid"], new_key->key_id());
  // Without the previous key, the old token is refused.
  EXPECT_FALSE(eddsa_tokens({new_key}).verify(old_token, kNow));
}

TEST(EdDsaAccessTokens, Hs256TokenMadeWithThePublicKeyAsSecretIsRefused) {
  auto key = std::make_shared<Ed25519Key>(Ed25519Key::generate());
  const auto tokens = eddsa_tokens({key});
  const auto issued = tokens.issue("u", "s", "+77472367503", kNow);
  auto header = decode_part(issued.token, 0);
  header["alg"] = "HS256";
  // The classic key-confusion forgery: the attacker knows the public key, published in the JWKS.
  const Hs256Key public_as_secret(to_bytes(key->public_pem()));
  const std::string input =
      base64url_encode(header.dump()) + "." + base64url_encode(decode_part(issued.token, 1).dump());
  const auto verdict = tokens.verify(input + "." + base64url_encode(public_as_secret.sign(input)), kNow);
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, errc::invalid_token);
}

TEST(EdDsaAccessTokens, TokenOfAnotherKeyClaimingOurKidIsRefused) {
  auto ours = std::make_shared<Ed25519Key>(Ed25519Key::generate());
  const Ed25519Key theirs = Ed25519Key::generate();
  const auto tokens = eddsa_tokens({ours});
  const auto issued = tokens.issue("u", "s", "+77472367503", kNow);
  const std::string input = issued.token.substr(0, issued.token.rfind('.'));
  EXPECT_FALSE(tokens.verify(input + "." + base64url_encode(theirs.sign(input)), kNow));
}

}  // namespace
}  // namespace sms_auth
