// GET /openapi.json: the API contract as OpenAPI 3.1 (docs/openapi.json, compiled in), as this server is configured.
#pragma once

#include <set>
#include <span>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "http/web_assets.hpp"

namespace sms_auth {

// docs/openapi.json as it was at build time. Defined by the generated openapi_document_data.cpp.
std::span<const EmbeddedFile> embedded_openapi_files() noexcept;

// The embedded document text; throws std::logic_error when the build did not embed it.
std::string_view embedded_openapi_document();

// The document for a server whose settings `configured` names the variables that are set: a path marked
// `"x-sms-auth-enabled-by": "ADMIN_TOKEN"` stays only when ADMIN_TOKEN is set, one marked
// `"x-sms-auth-removed-by": "METRICS_LISTEN"` goes when METRICS_LISTEN is set. Throws std::invalid_argument when the
// text is not a JSON object with `paths` (a build mistake, caught at start-up).
std::string openapi_document_for(std::string_view document, const std::set<std::string, std::less<>>& configured);

class OpenApiHandlers {
 public:
  // The document is built once: what is enabled changes only with a restart.
  explicit OpenApiHandlers(const std::set<std::string, std::less<>>& configured);

  std::vector<Route> routes();

  awaitable<HttpResponse> document(HttpRequest request);

 private:
  std::string document_;
};

}  // namespace sms_auth
