// The login page and its assets: templating at start-up, versioned URLs, ETags, and the browser security headers.
#include "http/handlers/web_page_handlers.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "core/crypto.hpp"
#include "http/error_response.hpp"

namespace sms_auth {
namespace {

constexpr std::string_view kPageName = "index.html";
constexpr std::string_view kAssetPrefix = "/assets/";

// Scripts, styles, images and API calls from this origin only; nothing inline, no plugins, no framing, no base
// rewriting, no native form posts (the page submits through fetch), and Trusted Types so a DOM-XSS sink fails loudly.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'";

// The page changes with each release and must never be served stale: revalidate it (cheap, ETag → 304).
constexpr const char* kPageCacheControl = "no-cache";
// An asset requested by the versioned URL the page names never changes under that URL.
constexpr const char* kVersionedAssetCacheControl = "public, max-age=31536000, immutable";
constexpr const char* kUnversionedAssetCacheControl = "no-cache";

std::string content_version(std::string_view content) {
  const Bytes digest = sha256(content);
  return to_hex(Bytes(digest.begin(), digest.begin() + 8));  // 64 bits: plenty to tell releases apart
}

// Only for the few start-up values put in an attribute: no HTML library is in the stack, and five characters cover
// the attribute context.
std::string escape_html_attribute(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The page's country list: what it needs to offer each country and check and group its numbers.
std::string countries_json(const std::vector<MobileNumberFormat>& countries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& country : countries) {
    list.push_back({{"region", country.region},
                    {"calling_code", country.calling_code},
                    {"lengths", country.national_lengths},
                    {"example", country.example},
                    {"trunk_prefix", country.trunk_prefix}});
  }
  return list.dump();
}

// `v` from a query such as `v=0123abcd`, or "".
std::string_view query_version(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.rfind("v=", 0) == 0) return pair.substr(2);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// If-None-Match is a list of entity tags (or `*`); compared weakly, as RFC 9110 §13.1.2 says.
bool matches_if_none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

void add_security_headers(HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");  // frame-ancestors' counterpart for older browsers
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  response.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  response.headers.emplace_back("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
}

}  // namespace

std::string content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  }};
  for (const auto& [extension, type] : kTypes) {
    if (name.size() > extension.size() && name.substr(name.size() - extension.size()) == extension) {
      return std::string(type);
    }
  }
  return "application/octet-stream";
}

WebPageHandlers::WebPageHandlers(std::span<const EmbeddedFile> files, const WebPageSettings& settings) {
  const EmbeddedFile* page_template = nullptr;
  for (const auto& file : files) {
    if (file.name == kPageName) {
      page_template = &file;
      continue;  // a template: served rendered at `/`, never raw
    }
    assets_.emplace(std::string(file.name),
                    Resource{std::string(file.content), content_type_for(file.name), content_version(file.content)});
  }
  if (page_template == nullptr) throw std::invalid_argument("web page: index.html is not among the embedded files");

  const std::string_view text = page_template->content;
  std::string html;
  html.reserve(text.size() + 256);
  std::size_t position = 0;
  while (true) {
    const auto open = text.find("{{", position);
    html.append(text.substr(position, open - position));
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open);
    if (close == std::string_view::npos) throw std::invalid_argument("web page: unterminated {{ in index.html");
    const std::string_view placeholder = text.substr(open + 2, close - open - 2);
    if (placeholder == "test_mode") {
      html += settings.test_mode ? "true" : "false";
    } else if (placeholder == "fixed_code") {
      html += escape_html_attribute(settings.test_mode && settings.fixed_code ? *settings.fixed_code : "");
    } else if (placeholder == "countries") {
      html += escape_html_attribute(countries_json(settings.countries));
    } else if (placeholder == "default_region") {
      html += escape_html_attribute(settings.default_region);
    } else if (placeholder.rfind("asset:", 0) == 0) {
      const std::string_view name = placeholder.substr(6);
      const auto asset = assets_.find(name);
      if (asset == assets_.end()) {
        throw std::invalid_argument("web page: index.html names " + std::string(name) + ", which is not in web/");
      }
      html += std::string(kAssetPrefix) + std::string(name) + "?v=" + asset->second.version;
    } else {
      throw std::invalid_argument("web page: unknown placeholder {{" + std::string(placeholder) + "}} in index.html");
    }
    position = close + 2;
  }
  page_.version = content_version(html);
  page_.content_type = content_type_for(kPageName);
  page_.body = std::move(html);
}

std::vector<Route> WebPageHandlers::routes() {
  return {
      {"GET", "/", std::bind_front(&WebPageHandlers::page, this)},
      {"GET", std::string(kAssetPrefix) + "*", std::bind_front(&WebPageHandlers::asset, this)},
  };
}

awaitable<HttpResponse> WebPageHandlers::page(HttpRequest request) {
  co_return respond(page_, request, kPageCacheControl);
}

awaitable<HttpResponse> WebPageHandlers::asset(HttpRequest request) {
  const std::string_view name = std::string_view(request.path).substr(kAssetPrefix.size());
  const auto found = assets_.find(name);
  if (found == assets_.end()) {
    co_return error_response(HttpError{http_errc::not_found, "There is nothing at this path"});
  }
  const bool versioned = query_version(request.query) == found->second.version;
  co_return respond(found->second, request, versioned ? kVersionedAssetCacheControl : kUnversionedAssetCacheControl);
}

HttpResponse WebPageHandlers::respond(const Resource& resource, const HttpRequest& request,
                                      const char* cache_control) const {
  HttpResponse response;
  const std::string etag = "\"" + resource.version + "\"";
  response.content_type = resource.content_type;
  if (matches_if_none_match(request.header("if-none-match"), etag)) {
    response.status = 304;
  } else {
    response.body = resource.body;
  }
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", cache_control);
  add_security_headers(response);
  return response;
}

}  // namespace sms_auth
