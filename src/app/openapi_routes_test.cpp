// The OpenAPI document against the router: every route is documented and every documented operation is a route,
// with the admin and webhook paths present exactly when they are enabled.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>

#include <cctype>
#include <filesystem>
#include <set>

#include "app/application.hpp"
#include "http/handlers/openapi_handlers.hpp"

namespace sms_auth {
namespace {

using Operations = std::set<std::pair<std::string, std::string>>;

// "/assets/*" in the router is "/assets/{name}" in the document.
std::string documented_path(const std::string& route_path) {
  if (route_path.ends_with("/*")) return route_path.substr(0, route_path.size() - 1) + "{name}";
  return route_path;
}

Operations router_operations(const Router& router) {
  Operations operations;
  for (const auto& [method, path] : router.route_table()) operations.emplace(method, documented_path(path));
  return operations;
}

Operations document_operations(const std::string& text) {
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
  Operations operations;
  const auto document = nlohmann::json::parse(text);  // named: a range-for over a temporary's member dangles
  for (const auto& [path, item] : document.at("paths").items()) {
    for (const auto& [key, operation] : item.items()) {
      if (!kMethods.contains(key)) continue;
      std::string method = key;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      operations.emplace(method, path);
    }
  }
  return operations;
}

class OpenApiRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("sms-auth-openapi-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  Config config(bool optional_endpoints) const {
    EnvMap env = {{"SMS_TEST_MODE", "true"},
                  {"JWT_SECRET", "openapi-routes-test-jwt-secret-5c1e9a7f3b2d"},
                  {"DATABASE_URL", "sqlite:" + (directory_ / "test.db").string()}};
    if (optional_endpoints) {
      env["ADMIN_TOKEN"] = "openapi-routes-test-admin-token-8d4b2f6a1c3e";
      env["MOBIZON_WEBHOOK_SECRET"] = "openapi-routes-test-webhook-7e2a";
    }
    auto loaded = load_config(env);
    EXPECT_TRUE(loaded.has_value());
    return *loaded;
  }

  std::filesystem::path directory_;
};

TEST_F(OpenApiRoutes, EveryRouteIsDocumentedAndEveryDocumentedOperationIsARouteWithAdminAndWebhookOn) {
  boost::asio::io_context io;
  Application application(config(true), io);
  const Operations served = router_operations(application.router());
  const Operations documented = document_operations(
      openapi_document_for(embedded_openapi_document(), {"ADMIN_TOKEN", "MOBIZON_WEBHOOK_SECRET"}));
  EXPECT_EQ(served, documented);
  EXPECT_TRUE(served.contains({"GET", "/api/v1/admin/sms/balance"}));
  EXPECT_TRUE(served.contains({"POST", "/api/v1/webhooks/mobizon"}));
  EXPECT_TRUE(served.contains({"GET", "/openapi.json"}));
}

TEST_F(OpenApiRoutes, WithoutAdminTokenAndWebhookSecretTheirPathsAreNeitherServedNorDocumented) {
  boost::asio::io_context io;
  Application application(config(false), io);
  const Operations served = router_operations(application.router());
  const Operations documented = document_operations(openapi_document_for(embedded_openapi_document(), {}));
  EXPECT_EQ(served, documented);
  EXPECT_FALSE(documented.contains({"GET", "/api/v1/admin/sms/balance"}));
  EXPECT_FALSE(documented.contains({"GET", "/api/v1/admin/sms/messages"}));
  EXPECT_FALSE(documented.contains({"POST", "/api/v1/webhooks/mobizon"}));
}

TEST(OpenApiDocument, APathRemovedByAVariableGoesWhenItIsSet) {
  const std::string document =
      R"({"openapi":"3.1.0","paths":{"/metrics":{"x-sms-auth-removed-by":"METRICS_LISTEN","get":{}},"/healthz":{"get":{}}}})";
  EXPECT_EQ(document_operations(openapi_document_for(document, {"METRICS_LISTEN"})), (Operations{{"GET", "/healthz"}}));
  EXPECT_EQ(document_operations(openapi_document_for(document, {})).size(), 2U);
}

TEST(OpenApiDocument, TextThatIsNotADocumentIsRefused) {
  EXPECT_THROW((void)openapi_document_for("[1]", {}), std::invalid_argument);
  EXPECT_THROW((void)openapi_document_for("{not json", {}), std::invalid_argument);
}

}  // namespace
}  // namespace sms_auth
