// Access tokens: claims as specified, and every forgery of RFC 8725 refused.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sms_auth {
namespace {

const TimePoint kNow = from_unix_ms(1'800'000'000'000);

AccessTokens make_tokens(Bytes secret = Bytes(32, 7), std::string audience = "memoir") {
  return AccessTokens({std::make_shared<Hs256Key>(std::move(secret))}, "sms-auth", std::move(audience),
                      std::chrono::seconds(1800));
}

nlohmann::json decode_part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  std::string decoded;
  EXPECT_TRUE(base64url_decode(token.substr(start, end - start), decoded));
  return nlohmann::json::parse(decoded);
}

std::string forge(const nlohmann::json& header, const nlohmann::json& payload, const JwtKey* key) {
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  const std::string signature = key ? base64url_encode(key->sign(input)) : "";
  return input + "." + signature;
}

TEST(AccessTokens, IssuedTokenHasTheSpecifiedHeaderAndClaims) {
  const auto tokens = make_tokens();
  const auto issued = tokens.issue("user-1", "session-1", "+77472367503", kNow);
  const auto header = decode_part(issued.token, 0);
  EXPECT_EQ(header["alg"], "HS256");
  EXPECT_EQ(header["typ"], "at+jwt");
  const auto payload = decode_part(issued.token, 1);
  EXPECT_EQ(payload["iss"], "sms-auth");
  EXPECT_EQ(payload["aud"], "memoir");
  EXPECT_EQ(payload["sub"], "user-1");
  EXPECT_EQ(payload["sid"], "session-1");
  EXPECT_EQ(payload["phone_number"], "+77472367503");
  EXPECT_EQ(payload["iat"], 1'800'000'000);
  EXPECT_EQ(payload["exp"], 1'800'001'800);
  EXPECT_TRUE(payload["jti"].is_string());
  EXPECT_NE(tokens.issue("user-1", "session-1", "+77472367503", kNow).claims.token_id, issued.claims.token_id);
}

TEST(AccessTokens, IssuedTokenVerifies) {
  const auto tokens = make_tokens();
  const auto issued = tokens.issue("user-1", "session-1", "+77472367503", kNow);
  const auto claims = tokens.verify(issued.token, kNow + std::chrono::seconds(60));
  ASSERT_TRUE(claims) << claims.error().detail;
  EXPECT_EQ(claims->subject, "user-1");
  EXPECT_EQ(claims->session_id, "session-1");
}

TEST(AccessTokens, ExpiredTokenIsRefused) {
  const auto tokens = make_tokens();
  const auto issued = tokens.issue("u", "s", "+77472367503", kNow);
  EXPECT_FALSE(tokens.verify(issued.token, kNow + std::chrono::seconds(1800 + 31)));
}

TEST(AccessTokens, AlgNoneIsRefused) {
  const auto tokens = make_tokens();
  const auto issued = tokens.issue("u", "s", "+77472367503", kNow);
  auto header = decode_part(issued.token, 0);
  header["alg"] = "none";
  EXPECT_FALSE(tokens.verify(forge(header, decode_part(issued.token, 1), nullptr), kNow));
}

TEST(AccessTokens, SwitchedAlgorithmIsRefusedEvenWithAValidMacOverTheSameSecret) {
  const auto tokens = make_tokens();
  const auto issued = tokens.issue("u", "s", "+77472367503", kNow);
  auto header = decode_part(issued.token, 0);
  header["alg"] = "HS512";
  const Hs256Key same_secret(Bytes(32, 7));
  EXPECT_FALSE(tokens.verify(forge(header, decode_part(issued.token, 1), &same_secret), kNow));
}

TEST(AccessTokens, FlippedPayloadBitIsRefused) {
  const auto tokens = make_tokens();
  std::string token = tokens.issue("u", "s", "+77472367503", kNow).token;
  const auto dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(token, kNow));
}

TEST(AccessTokens, WrongAudienceIssuerOrTypeIsRefused) {
  const auto tokens = make_tokens();
  const Hs256Key key(Bytes(32, 7));
  const auto issued = tokens.issue("u", "s", "+77472367503", kNow);
  const auto header = decode_part(issued.token, 0);
  auto payload = decode_part(issued.token, 1);

  auto wrong_aud = payload;
  wrong_aud["aud"] = "another-app";
  EXPECT_FALSE(tokens.verify(forge(header, wrong_aud, &key), kNow));
  auto wrong_iss = payload;
  wrong_iss["iss"] = "someone-else";
  EXPECT_FALSE(tokens.verify(forge(header, wrong_iss, &key), kNow));
  auto wrong_typ = header;
  wrong_typ["typ"] = "JWT";
  EXPECT_FALSE(tokens.verify(forge(wrong_typ, payload, &key), kNow));
  EXPECT_TRUE(tokens.verify(forge(header, payload, &key), kNow));  // the forgery tool itself is sound
}

TEST(AccessTokens, TokenSignedWithAnotherSecretIsRefused) {
  const auto issued = make_tokens(Bytes(32, 8)).issue("u", "s", "+77472367503", kNow);
  EXPECT_FALSE(make_tokens().verify(issued.token, kNow));
}

TEST(AccessTokens, GarbageIsRefusedWithoutThrowing) {
  const auto tokens = make_tokens();
  for (const char* garbage : {"", ".", "..", "a.b.c", "eyJ.eyJ.", "not a token", "a.b.c.d"}) {
    EXPECT_FALSE(tokens.verify(garbage, kNow)) << garbage;
  }
  // A refresh token (opaque, no dots) is not an access token.
  EXPECT_FALSE(tokens.verify(base64url_encode(random_bytes(32)), kNow));
}

TEST(Hs256Key, ShortSecretsAreRefused) { EXPECT_THROW(Hs256Key(Bytes(31, 1)), std::invalid_argument); }

}  // namespace
}  // namespace sms_auth
