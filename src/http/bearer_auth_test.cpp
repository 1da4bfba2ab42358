// The Authorization header parser: only a well-formed Bearer credential gets through.
#include "http/bearer_auth.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

HttpRequest with_authorization(std::string value) {
  HttpRequest request;
  request.headers.emplace_back("authorization", std::move(value));
  return request;
}

TEST(BearerToken, ReadsTheTokenWhateverTheSchemeCase) {
  EXPECT_EQ(*bearer_token(with_authorization("Bearer abc.def-ghi_jkl")), "abc.def-ghi_jkl");
  EXPECT_EQ(*bearer_token(with_authorization("bearer abc")), "abc");
  EXPECT_EQ(*bearer_token(with_authorization("BEARER  abc== ")), "abc==");
}

TEST(BearerToken, MissingOtherSchemeOrMalformedIsInvalidToken) {
  for (const char* value : {"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer a\"b", "Bearer =",
                            "Bearer a=b", "Bearerabc", "Bearer \xd1\x82"}) {
    const auto token = bearer_token(with_authorization(value));
    ASSERT_FALSE(token) << value;
    EXPECT_EQ(token.error().code, errc::invalid_token) << value;
  }
  EXPECT_FALSE(bearer_token(HttpRequest{}));
}

TEST(BearerCredentials, AnyCredentialOfTheBearerSchemeIsHandedOnTrimmed) {
  EXPECT_EQ(bearer_credentials("bEaReR   admin token with spaces  "), "admin token with spaces");
  EXPECT_FALSE(bearer_credentials("Basic abc"));
  EXPECT_FALSE(bearer_credentials("Bearer"));
  EXPECT_FALSE(bearer_credentials(""));
}

}  // namespace
}  // namespace sms_auth
