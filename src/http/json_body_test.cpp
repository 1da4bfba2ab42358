// Strict JSON bodies: every malformed input docs/api.md lists is a 400 (415 for the media type), never a throw.
#include "http/json_body.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

HttpRequest json_request(std::string body, std::string content_type = "application/json") {
  HttpRequest request;
  request.method = "POST";
  request.headers = {{"content-type", std::move(content_type)}};
  request.body = std::move(body);
  return request;
}

errc failure(const std::string& body) {
  const auto parsed = parse_json_object(json_request(body));
  return parsed ? errc::internal_error : std::get<Error>(parsed.error()).code;
}

TEST(ParseJsonObject, AcceptsAnObjectWithCharset) {
  const auto parsed = parse_json_object(json_request(R"({"phone_number":"77472367503"})", "application/json; charset=utf-8"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)["phone_number"], "77472367503");
}

TEST(ParseJsonObject, OtherMediaTypesAre415) {
  for (const char* type : {"text/plain", "", "application/x-www-form-urlencoded", "application/jsonx"}) {
    const auto parsed = parse_json_object(json_request(R"({"a":1})", type));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(std::get<HttpError>(parsed.error()).code, http_errc::unsupported_media_type) << type;
  }
}

TEST(ParseJsonObject, MalformedBodiesAre400) {
  const std::string deep(10000, '[');
  for (const std::string& body :
       {std::string(""), std::string("{"), std::string(R"({"phone_number": "7747)"), std::string("{} trailing"),
        std::string(R"({"phone":"a","phone":"b"})"), std::string("\xEF\xBB\xBF{}"), std::string("{\"a\":\"\xFF\"}"),
        std::string("[]"), std::string("\"string\""), std::string("null"), deep,
        std::string("{\"a\":") + std::string(100, '{') + std::string(100, '}') + "}"}) {
    EXPECT_EQ(failure(body), errc::invalid_request) << body.substr(0, 40);
  }
}

TEST(ParseJsonObject, DuplicateKeysInNestedObjectsAre400ButEqualKeysInSiblingsAreFine) {
  EXPECT_EQ(failure(R"({"a":{"x":1,"x":2}})"), errc::invalid_request);
  EXPECT_TRUE(parse_json_object(json_request(R"({"a":{"x":1},"b":{"x":2}})")));
}

TEST(RequiredString, RefusesMissingNullAndOtherTypes) {
  const auto body = *parse_json_object(
      json_request(R"({"s":"ok","n":123456,"f":123456.0,"neg":-0,"b":true,"z":null,"a":["1"]})"));
  EXPECT_TRUE(required_string(body, "s"));
  for (const char* name : {"n", "f", "neg", "b", "z", "a", "missing"}) {
    const auto value = required_string(body, name);
    ASSERT_FALSE(value) << name;
    EXPECT_EQ(value.error().code, errc::invalid_request);
  }
}

TEST(ParseJsonObject, HugeNumberLiteralIsAnErrorNotACrash) {
  const auto parsed = parse_json_object(json_request(R"({"code":1e309})"));
  if (parsed) {
    EXPECT_FALSE(required_string(*parsed, "code"));
  }
}

}  // namespace
}  // namespace sms_auth
