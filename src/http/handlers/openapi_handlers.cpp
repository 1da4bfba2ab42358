// The OpenAPI document: parsed once at start-up, trimmed to the paths this configuration serves.
#include "http/handlers/openapi_handlers.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "http/json_body.hpp"

namespace sms_auth {
namespace {

bool marked_off(const nlohmann::json& path_item, const std::set<std::string, std::less<>>& configured) {
  if (const auto enabled_by = path_item.find("x-sms-auth-enabled-by"); enabled_by != path_item.end()) {
    if (!configured.contains(enabled_by->get<std::string>())) return true;
  }
  if (const auto removed_by = path_item.find("x-sms-auth-removed-by"); removed_by != path_item.end()) {
    if (configured.contains(removed_by->get<std::string>())) return true;
  }
  return false;
}

}  // namespace

std::string_view embedded_openapi_document() {
  for (const auto& file : embedded_openapi_files()) {
    if (file.name == "openapi.json") return file.content;
  }
  throw std::logic_error("docs/openapi.json was not embedded into this build");
}

std::string openapi_document_for(std::string_view document, const std::set<std::string, std::less<>>& configured) {
  auto parsed = nlohmann::json::parse(document, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("paths") || !parsed["paths"].is_object()) {
    throw std::invalid_argument("the OpenAPI document is not a JSON object with paths");
  }
  auto& paths = parsed["paths"];
  for (auto item = paths.begin(); item != paths.end();) {
    item = marked_off(item.value(), configured) ? paths.erase(item) : std::next(item);
  }
  return to_json_text(parsed);
}

OpenApiHandlers::OpenApiHandlers(const std::set<std::string, std::less<>>& configured)
    : document_(openapi_document_for(embedded_openapi_document(), configured)) {}

std::vector<Route> OpenApiHandlers::routes() {
  return {{"GET", "/openapi.json", std::bind_front(&OpenApiHandlers::document, this)}};
}

awaitable<HttpResponse> OpenApiHandlers::document(HttpRequest) {
  HttpResponse response;
  response.content_type = "application/json";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.body = document_;
  co_return response;
}

}  // namespace sms_auth
