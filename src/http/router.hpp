// The route table: (method, path) → handler, telling 404 from 405; the one top-level catch of a request.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "http/message.hpp"
#include "metrics/metrics.hpp"

namespace sms_auth {

using Handler = std::function<awaitable<HttpResponse>(HttpRequest)>;

struct Route {
  std::string method;  // "GET", "POST"
  std::string path;    // exact, or a prefix when it ends in "/*" (static files)
  Handler handler;
};

class Router {
 public:
  // access_log: one http.access line per request (ACCESS_LOG).
  explicit Router(MetricsRegistry& metrics, bool access_log = true);

  void add(std::vector<Route> routes);

  // Finds the route and runs it. Unknown path → 404, known path with another method → 405 with Allow. A handler that
  // throws StorageUnavailable gets 503 `unavailable`, anything else 500 `internal_error`; the details go to the log
  // only. Adds Cache-Control: no-store and X-Content-Type-Options: nosniff unless the handler set its own, and
  // X-Request-Id (the request's id); writes the access line.
  awaitable<HttpResponse> dispatch(HttpRequest request) const;

  // (method, path) of every route, in the order added: what the OpenAPI document must describe.
  std::vector<std::pair<std::string, std::string>> route_table() const;

 private:
  const Route* find(const std::string& path, const std::string& method, std::string& allowed) const;

  std::vector<Route> routes_;
  bool access_log_;
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
};

}  // namespace sms_auth
