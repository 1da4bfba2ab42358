// The web login page: GET / (the page) and GET /assets/* (its script, style and icon), from the embedded web/ files.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/phone_number.hpp"
#include "http/router.hpp"
#include "http/web_assets.hpp"

namespace sms_auth {

// What the page is told about the server, rendered into its HTML at start-up (no endpoint exists for it).
struct WebPageSettings {
  bool test_mode = false;                 // SMS_TEST_MODE: the page shows a banner
  std::optional<std::string> fixed_code;  // SMS_TEST_FIXED_CODE (test mode only): the banner shows it
  // `{}` so that `WebPageSettings{test_mode, fixed_code}` still leaves them out without -Wmissing-field-initializers.
  std::vector<MobileNumberFormat> countries{};  // ALLOWED_COUNTRIES with their number formats; empty: any country
  std::string default_region{};                 // DEFAULT_REGION: the country the page offers first
};

// Serves the page and its assets from memory with strict security headers (a CSP without inline script or style,
// nosniff, no framing, no referrer). index.html is a template: `{{asset:NAME}}` becomes the asset's versioned URL
// (`/assets/NAME?v=HASH`, cached for a year because the URL changes with the content); `{{test_mode}}`,
// `{{fixed_code}}`, `{{countries}}` (a JSON array) and `{{default_region}}` become the settings, escaped for an
// attribute. The page itself is revalidated on every load (ETag, 304).
class WebPageHandlers {
 public:
  // Throws std::invalid_argument when index.html is missing or uses an unknown placeholder or asset: a build
  // mistake, caught at start-up rather than by a user.
  WebPageHandlers(std::span<const EmbeddedFile> files, const WebPageSettings& settings);

  std::vector<Route> routes();

  awaitable<HttpResponse> page(HttpRequest request);
  awaitable<HttpResponse> asset(HttpRequest request);

 private:
  struct Resource {
    std::string body;
    std::string content_type;
    std::string version;  // a content hash: the `v` of the asset's URL, and the ETag
  };

  HttpResponse respond(const Resource& resource, const HttpRequest& request, const char* cache_control) const;

  std::map<std::string, Resource, std::less<>> assets_;
  Resource page_;
};

// The Content-Type of a file by its extension (application/octet-stream when unknown).
std::string content_type_for(std::string_view name);

}  // namespace sms_auth
