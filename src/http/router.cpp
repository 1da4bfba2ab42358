// Route matching and the per-request safety net.
#include "http/router.hpp"

#include <chrono>

#include "core/log.hpp"
#include "http/error_response.hpp"
#include "storage/repository.hpp"

namespace sms_auth {
namespace {

bool path_matches(const std::string& pattern, const std::string& path) {
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0) {
    return path.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  }
  return pattern == path;
}

}  // namespace

Router::Router(MetricsRegistry& metrics, bool access_log)
    : access_log_(access_log),
      requests_(metrics.counter("sms_auth_http_requests_total", "HTTP requests by route and status",
                                {"route", "status"})),
      latency_(metrics.histogram("sms_auth_http_request_duration_seconds", "Time to produce a response, by route",
                                 {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
                                 {"route"})) {}

void Router::add(std::vector<Route> routes) {
  for (auto& route : routes) routes_.push_back(std::move(route));
}

std::vector<std::pair<std::string, std::string>> Router::route_table() const {
  std::vector<std::pair<std::string, std::string>> table;
  for (const auto& route : routes_) table.emplace_back(route.method, route.path);
  return table;
}

const Route* Router::find(const std::string& path, const std::string& method, std::string& allowed) const {
  for (const auto& route : routes_) {
    if (!path_matches(route.path, path)) continue;
    if (route.method == method || (method == "HEAD" && route.method == "GET")) return &route;
    if (allowed.find(route.method) == std::string::npos) {
      if (!allowed.empty()) allowed += ", ";
      allowed += route.method;
    }
  }
  return nullptr;
}

awaitable<HttpResponse> Router::dispatch(HttpRequest request) const {
  const auto started = std::chrono::steady_clock::now();
  std::string allowed;
  const Route* route = find(request.path, request.method, allowed);
  const std::string route_label = route ? route->path : "unmatched";
  // Kept for the log lines: the handler takes the request.
  const LogContext context = request.log_context();
  const std::string method = log_safe(request.method, 16);
  const std::string path = log_safe(request.path);
  const std::string client = log_safe(request.client_address);
  HttpResponse response;
  if (route == nullptr && allowed.empty()) {
    response = error_response(HttpError{http_errc::not_found, "There is nothing at this path"});
  } else if (route == nullptr) {
    response = error_response(
        HttpError{http_errc::method_not_allowed, "This path does not accept " + log_safe(request.method, 16)});
    response.headers.emplace_back("Allow", allowed);
  } else {
    try {
      response = co_await route->handler(std::move(request));
    } catch (const StorageUnavailable& e) {
      log_event(LogLevel::error, context, "http.unavailable",
                {{"method", method}, {"path", path}, {"error", e.what()}});
      response = error_response(make_error(errc::unavailable, "The service is temporarily unavailable"));
    } catch (const std::exception& e) {
      log_event(LogLevel::error, context, "http.internal_error",
                {{"method", method}, {"path", path}, {"error", e.what()}});
      response = error_response(make_error(errc::internal_error, "Something went wrong on our side"));
    }
  }
  if (!response.has_header("Cache-Control")) response.headers.emplace_back("Cache-Control", "no-store");
  if (!response.has_header("X-Content-Type-Options")) response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!context.request_id.empty()) response.headers.emplace_back("X-Request-Id", context.request_id);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  requests_.labels({route_label, std::to_string(response.status)}).inc();
  latency_.labels({route_label}).observe(seconds);
  if (access_log_) {
    // The route's pattern, not the path: no query string, no client-chosen text, a bounded set of values.
    log_event(LogLevel::info, context, "http.access",
              {{"method", method},
               {"route", route_label},
               {"status", response.status},
               {"duration_ms", seconds * 1000},
               {"client", client},
               {"bytes", response.body.size()}});
  }
  co_return response;
}

}  // namespace sms_auth
