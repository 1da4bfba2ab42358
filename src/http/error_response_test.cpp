// The error map: each expected failure has its status, its snake_case name and the documented JSON shape and headers.
#include "http/error_response.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace sms_auth {
namespace {

constexpr errc kLast = errc::invalid_signature;  // the enum's last entry: a new one must extend the table below
constexpr http_errc kLastHttp = http_errc::method_not_allowed;  // likewise

std::string header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(ErrorMap, EveryErrorHasItsDocumentedStatusAndAName) {
  const std::pair<errc, int> expected[] = {
      {errc::invalid_request, 400}, {errc::invalid_phone_number, 422}, {errc::invalid_code, 401},
      {errc::code_expired, 401},    {errc::too_many_attempts, 429},    {errc::rate_limited, 429},
      {errc::sms_rejected, 502},    {errc::sms_unavailable, 503},      {errc::invalid_token, 401},
      {errc::invalid_grant, 401},   {errc::access_denied, 403},        {errc::internal_error, 500},
      {errc::unavailable, 503},     {errc::invalid_signature, 401}};
  const std::pair<http_errc, int> expected_http[] = {{http_errc::unsupported_media_type, 415},
                                                     {http_errc::payload_too_large, 413},
                                                     {http_errc::headers_too_large, 431},
                                                     {http_errc::not_found, 404},
                                                     {http_errc::method_not_allowed, 405}};
  ASSERT_EQ(std::size(expected), static_cast<std::size_t>(kLast) + 1);
  ASSERT_EQ(std::size(expected_http), static_cast<std::size_t>(kLastHttp) + 1);
  std::set<std::string_view> names;
  const auto check_name = [&names](std::string_view name) {
    EXPECT_TRUE(names.insert(name).second) << "two errors share the name " << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos);
  };
  for (const auto& [code, status] : expected) {
    EXPECT_EQ(http_status(code), status) << error_name(code);
    check_name(error_name(code));
  }
  for (const auto& [code, status] : expected_http) {
    EXPECT_EQ(http_status(code), status) << error_name(code);
    EXPECT_EQ(error_response(HttpError{code, "x"}).status, status) << error_name(code);
    check_name(error_name(code));
  }
}

TEST(ErrorMap, TheBodyIsTheErrorShapeWithWhatTheClientCanActOn) {
  Error wrong = make_error(errc::invalid_code, "The code is wrong");
  wrong.attempts_left = 2;
  const auto response = error_response(wrong);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.content_type, "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body, (nlohmann::json{{"success", false}, {"error", "invalid_code"}, {"detail", "The code is wrong"},
                                  {"attempts_left", 2}}));
  EXPECT_EQ(header(response, "WWW-Authenticate"), "");  // a wrong code is not a bad token: the app must not log out
}

TEST(ErrorMap, TooManyAndUnavailableAlwaysSayWhenToComeBack) {
  Error limited = make_error(errc::rate_limited, "Wait");
  limited.retry_after_seconds = 42;
  const auto told = error_response(limited);
  EXPECT_EQ(header(told, "Retry-After"), "42");
  EXPECT_EQ(nlohmann::json::parse(told.body)["retry_after"], 42);
  for (errc code : {errc::rate_limited, errc::too_many_attempts, errc::sms_unavailable, errc::unavailable}) {
    EXPECT_EQ(header(error_response(make_error(code, "x")), "Retry-After"), "1") << error_name(code);
  }
  EXPECT_EQ(header(error_response(make_error(errc::invalid_request, "x")), "Retry-After"), "");
}

TEST(ErrorMap, OnlyABadBearerTokenAsksForAuthentication) {
  EXPECT_EQ(header(error_response(make_error(errc::invalid_token, "x")), "WWW-Authenticate"),
            "Bearer error=\"invalid_token\"");
  EXPECT_EQ(header(error_response(make_error(errc::invalid_grant, "x")), "WWW-Authenticate"), "");
}

TEST(ErrorMap, ADetailThatIsNotUtf8StillGivesValidJson) {
  const auto response = error_response(make_error(errc::invalid_request, std::string("bad \xff byte")));
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

}  // namespace
}  // namespace sms_auth
