// The route table: exact and prefix routes, 404 versus 405 with Allow, HEAD as GET, the one top-level catch, and
// the headers every response gets.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/run_to_completion.hpp"
#include "storage/repository.hpp"

namespace sms_auth {
namespace {

awaitable<HttpResponse> echo_path(HttpRequest request) {
  HttpResponse response;
  response.body = request.method + " " + request.path;
  co_return response;
}

awaitable<HttpResponse> cached_page(HttpRequest) {
  HttpResponse response;
  response.headers.emplace_back("cache-control", "max-age=60");
  co_return response;
}

awaitable<HttpResponse> database_down(HttpRequest) {
  throw StorageUnavailable("connection to 10.0.0.5 lost (password=hunter2)");
  co_return HttpResponse{};
}

awaitable<HttpResponse> bug(HttpRequest) {
  throw std::logic_error("index 7 out of range in secret table");
  co_return HttpResponse{};
}

HttpRequest request(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

std::string header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router_(metrics_) {
    router_.add({{"POST", "/api/v1/send", echo_path},
                 {"GET", "/api/v1/send", echo_path},
                 {"DELETE", "/api/v1/send", echo_path},
                 {"GET", "/static/*", echo_path},
                 {"GET", "/cached", cached_page},
                 {"POST", "/down", database_down},
                 {"POST", "/bug", bug}});
  }
  HttpResponse dispatch(HttpRequest r) { return run_to_completion(router_.dispatch(std::move(r))); }

  MetricsRegistry metrics_;
  Router router_;
};

TEST_F(RouterTest, AnExactRouteRunsItsHandlerAndHeadIsAnsweredAsGet) {
  EXPECT_EQ(dispatch(request("POST", "/api/v1/send")).body, "POST /api/v1/send");
  const auto head = dispatch(request("HEAD", "/api/v1/send"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(dispatch(request("POST", "/api/v1/send/")).status, 404);  // exact means exact
}

TEST_F(RouterTest, APrefixRouteServesEverythingBelowItOnly) {
  EXPECT_EQ(dispatch(request("GET", "/static/app.js")).body, "GET /static/app.js");
  EXPECT_EQ(dispatch(request("GET", "/static/")).status, 200);
  EXPECT_EQ(dispatch(request("GET", "/staticx")).status, 404);
}

TEST_F(RouterTest, AnUnknownPathIs404AndAKnownPathWithAnotherMethodIs405WithAllow) {
  const auto missing = dispatch(request("GET", "/nothing"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("\"not_found\""), std::string::npos);
  const auto wrong = dispatch(request("PUT", "/api/v1/send"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(header(wrong, "Allow"), "POST, GET, DELETE");
}

TEST_F(RouterTest, AStorageOutageIs503AndABugIs500AndNeitherShowsItsDetails) {
  const auto down = dispatch(request("POST", "/down"));
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("\"unavailable\""), std::string::npos);
  EXPECT_EQ(down.body.find("hunter2"), std::string::npos);
  const auto broken = dispatch(request("POST", "/bug"));
  EXPECT_EQ(broken.status, 500);
  EXPECT_NE(broken.body.find("\"internal_error\""), std::string::npos);
  EXPECT_EQ(broken.body.find("secret table"), std::string::npos);
}

TEST_F(RouterTest, EveryResponseIsNotCachedAndNotSniffedUnlessTheHandlerSaidOtherwise) {
  for (const auto& r : {request("POST", "/api/v1/send"), request("GET", "/nothing"), request("POST", "/bug")}) {
    const auto response = dispatch(r);
    EXPECT_EQ(header(response, "Cache-Control"), "no-store") << r.path;
    EXPECT_EQ(header(response, "X-Content-Type-Options"), "nosniff") << r.path;
  }
  const auto cached = dispatch(request("GET", "/cached"));
  EXPECT_EQ(header(cached, "cache-control"), "max-age=60");
  EXPECT_EQ(header(cached, "Cache-Control"), "");  // not a second, contradicting header
}

TEST_F(RouterTest, TheRouteTableListsEveryRouteInTheOrderAdded) {
  const auto table = router_.route_table();
  ASSERT_EQ(table.size(), 7u);
  EXPECT_EQ(table.front(), (std::pair<std::string, std::string>{"POST", "/api/v1/send"}));
  EXPECT_EQ(table[3], (std::pair<std::string, std::string>{"GET", "/static/*"}));
}

TEST_F(RouterTest, RequestsAreCountedByRoutePatternNotByRawPath) {
  dispatch(request("GET", "/static/a.js"));
  dispatch(request("GET", "/static/b.js"));
  dispatch(request("GET", "/no/such/path"));
  const std::string text = metrics_.render();
  EXPECT_NE(text.find("route=\"/static/*\""), std::string::npos);
  EXPECT_EQ(text.find("a.js"), std::string::npos);
  EXPECT_EQ(text.find("/no/such/path"), std::string::npos);
  EXPECT_NE(text.find("route=\"unmatched\""), std::string::npos);
}

}  // namespace
}  // namespace sms_auth
