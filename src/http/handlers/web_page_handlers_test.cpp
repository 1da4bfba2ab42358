// The web page handlers: templating, content types, caching by version and ETag, security headers, test-mode flags.
#include "http/handlers/web_page_handlers.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <regex>

namespace sms_auth {
namespace {

HttpResponse get(WebPageHandlers& handlers, std::string path, std::string query = "",
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request;
  request.method = "GET";
  request.path = std::move(path);
  request.query = std::move(query);
  request.headers = std::move(headers);
  boost::asio::io_context io;
  const bool is_page = request.path == "/";
  auto future = boost::asio::co_spawn(
      io, is_page ? handlers.page(std::move(request)) : handlers.asset(std::move(request)), boost::asio::use_future);
  io.run();
  return future.get();
}

std::string header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

// The page's versioned URL of an asset, e.g. "/assets/app.js?v=0123456789abcdef".
std::string asset_url(const std::string& html, const std::string& name) {
  std::smatch match;
  const std::regex pattern("/assets/" + std::regex_replace(name, std::regex(R"(\.)"), R"(\.)") + R"(\?v=[0-9a-f]{16})");
  return std::regex_search(html, match, pattern) ? match.str() : "";
}

TEST(WebPage, ServesTheEmbeddedPageAsHtmlWithAStrictPolicy) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{});
  const HttpResponse page = get(handlers, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  const std::string csp = header(page, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(header(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(page, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(page.body.find("{{"), std::string::npos) << "every placeholder is filled";
  EXPECT_NE(page.body.find(R"(data-test-mode="false")"), std::string::npos);
  EXPECT_NE(page.body.find(R"(data-fixed-code="")"), std::string::npos);
}

TEST(WebPage, PageHasNoInlineScriptStyleOrExternalResource) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{});
  const std::string html = get(handlers, "/").body;
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<script(?![^>]*\ssrc=))"))) << "a script without src is inline";
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+=)"))) << "inline event handler";
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)="(https?:)?//)"))) << "external resource";
}

TEST(WebPage, EveryAssetThePageNamesIsServedWithItsTypeAndCachedForAYearByVersion) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{});
  const std::string html = get(handlers, "/").body;
  for (const auto& [name, type] :
       std::vector<std::pair<std::string, std::string>>{{"app.js", "text/javascript; charset=utf-8"},
                                                        {"app.css", "text/css; charset=utf-8"},
                                                        {"favicon.svg", "image/svg+xml"}}) {
    const std::string url = asset_url(html, name);
    ASSERT_FALSE(url.empty()) << name << " is not named by the page";
    const auto question = url.find('?');
    const HttpResponse asset = get(handlers, url.substr(0, question), url.substr(question + 1));
    EXPECT_EQ(asset.status, 200) << name;
    EXPECT_EQ(asset.content_type, type) << name;
    EXPECT_EQ(header(asset, "Cache-Control"), "public, max-age=31536000, immutable") << name;
    EXPECT_EQ(header(asset, "X-Content-Type-Options"), "nosniff") << name;
    EXPECT_FALSE(asset.body.empty()) << name;
    for (const auto& file : embedded_web_files()) {
      if (file.name == name) {
        EXPECT_EQ(asset.body, file.content) << name << " is served byte for byte";
      }
    }
  }
}

TEST(WebPage, AnAssetWithoutItsCurrentVersionIsRevalidated) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{});
  EXPECT_EQ(header(get(handlers, "/assets/app.js"), "Cache-Control"), "no-cache");
  EXPECT_EQ(header(get(handlers, "/assets/app.js", "v=0000000000000000"), "Cache-Control"), "no-cache");
}

TEST(WebPage, AMatchingETagGets304WithoutABody) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{});
  const HttpResponse first = get(handlers, "/assets/app.css");
  const std::string etag = header(first, "ETag");
  ASSERT_FALSE(etag.empty());
  for (const std::string& if_none_match : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    const HttpResponse again = get(handlers, "/assets/app.css", "", {{"if-none-match", if_none_match}});
    EXPECT_EQ(again.status, 304) << if_none_match;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(header(again, "ETag"), etag);
  }
  EXPECT_EQ(get(handlers, "/assets/app.css", "", {{"if-none-match", "\"stale\""}}).status, 200);
  const HttpResponse page = get(handlers, "/");
  EXPECT_EQ(get(handlers, "/", "", {{"if-none-match", header(page, "ETag")}}).status, 304);
}

TEST(WebPage, UnknownAssetsAndTheRawTemplateAre404) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{});
  for (const char* path : {"/assets/index.html", "/assets/missing.js", "/assets/", "/assets/../src/app/main.cpp"}) {
    const HttpResponse response = get(handlers, path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.content_type, "application/json") << path;
  }
}

TEST(WebPage, TestModeAndItsFixedCodeAreRenderedIntoThePage) {
  WebPageHandlers with_code(embedded_web_files(), WebPageSettings{true, "123456"});
  const std::string html = get(with_code, "/").body;
  EXPECT_NE(html.find(R"(data-test-mode="true")"), std::string::npos);
  EXPECT_NE(html.find(R"(data-fixed-code="123456")"), std::string::npos);

  WebPageHandlers without_code(embedded_web_files(), WebPageSettings{true, std::nullopt});
  EXPECT_NE(get(without_code, "/").body.find(R"(data-fixed-code="")"), std::string::npos);
}

TEST(WebPage, AFixedCodeOutsideTestModeIsNeverShown) {
  WebPageHandlers handlers(embedded_web_files(), WebPageSettings{false, "123456"});
  EXPECT_EQ(get(handlers, "/").body.find("123456"), std::string::npos);
}

TEST(WebPage, SettingsAreEscapedForTheAttribute) {
  const EmbeddedFile files[] = {{"index.html", R"(<body data-fixed-code="{{fixed_code}}">)"}};
  WebPageHandlers handlers(files, WebPageSettings{true, R"("><script>&')"});
  EXPECT_EQ(get(handlers, "/").body, R"(<body data-fixed-code="&quot;&gt;&lt;script&gt;&amp;&#39;">)");
}

TEST(WebPage, TheCountriesAndTheDefaultRegionAreRenderedAsEscapedJson) {
  const EmbeddedFile files[] = {
      {"index.html", R"(<body data-countries="{{countries}}" data-default-region="{{default_region}}">)"}};
  WebPageSettings settings;
  settings.countries = {{"KZ", 7, {10}, "771 000 9998", "8"}, {"UZ", 998, {9}, "91 234 56 78", "8"}};
  settings.default_region = "UZ";
  WebPageHandlers handlers(files, settings);
  EXPECT_EQ(get(handlers, "/").body,
            "<body data-countries=\"["
            "{&quot;calling_code&quot;:7,&quot;example&quot;:&quot;771 000 9998&quot;,&quot;lengths&quot;:[10],"
            "&quot;region&quot;:&quot;KZ&quot;,&quot;trunk_prefix&quot;:&quot;8&quot;},"
            "{&quot;calling_code&quot;:998,&quot;example&quot;:&quot;91 234 56 78&quot;,&quot;lengths&quot;:[9],"
            "&quot;region&quot;:&quot;UZ&quot;,&quot;trunk_prefix&quot;:&quot;8&quot;}"
            "]\" data-default-region=\"UZ\">");

  // Nothing in a value can close the attribute or open a tag.
  settings.countries = {{R"("><script>&')", 1, {5}, "</body>", ""}};
  settings.default_region = R"("><)";
  WebPageHandlers hostile(files, settings);
  const std::string html = get(hostile, "/").body;
  EXPECT_EQ(html.find('<', 1), std::string::npos) << html;
  EXPECT_EQ(html.find('\''), std::string::npos) << html;
  EXPECT_NE(html.find(R"(data-default-region="&quot;&gt;&lt;")"), std::string::npos) << html;
}

TEST(WebPage, TheEmbeddedPageTellsTheCountriesOrAnEmptyListForAnyCountry) {
  WebPageSettings settings;
  settings.countries = {{"KZ", 7, {10}, "771 000 9998", "8"}};
  settings.default_region = "KZ";
  WebPageHandlers one(embedded_web_files(), settings);
  const std::string html = get(one, "/").body;
  EXPECT_NE(html.find(R"(data-countries="[{&quot;calling_code&quot;:7,)"), std::string::npos);
  EXPECT_NE(html.find(R"(data-default-region="KZ")"), std::string::npos);

  WebPageHandlers any(embedded_web_files(), WebPageSettings{});
  EXPECT_NE(get(any, "/").body.find(R"(data-countries="[]")"), std::string::npos);
}

TEST(WebPage, ABrokenTemplateFailsAtStartUp) {
  const EmbeddedFile no_page[] = {{"app.js", "x"}};
  EXPECT_THROW(WebPageHandlers(no_page, WebPageSettings{}), std::invalid_argument);
  const EmbeddedFile missing_asset[] = {{"index.html", "<script src=\"{{asset:gone.js}}\"></script>"}};
  EXPECT_THROW(WebPageHandlers(missing_asset, WebPageSettings{}), std::invalid_argument);
  const EmbeddedFile unknown_placeholder[] = {{"index.html", "{{secret}}"}};
  EXPECT_THROW(WebPageHandlers(unknown_placeholder, WebPageSettings{}), std::invalid_argument);
  const EmbeddedFile unterminated[] = {{"index.html", "{{asset:app.js"}, {"app.js", "x"}};
  EXPECT_THROW(WebPageHandlers(unterminated, WebPageSettings{}), std::invalid_argument);
}

TEST(WebPage, ContentTypesFollowTheExtension) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("icons/favicon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("data.bin"), "application/octet-stream");
  EXPECT_EQ(content_type_for("js"), "application/octet-stream");
}

}  // namespace
}  // namespace sms_auth
