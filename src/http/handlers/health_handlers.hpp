// Operational endpoints: /healthz (alive), /readyz (database reachable and migrated), /metrics (Prometheus).
#pragma once

#include <vector>

#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "storage/storage_engine.hpp"

namespace sms_auth {

class HealthHandlers {
 public:
  HealthHandlers(StorageEngine& storage, const MetricsRegistry& metrics);

  // /healthz and /readyz.
  std::vector<Route> routes();
  // /metrics: on the public router, or on METRICS_LISTEN's own.
  std::vector<Route> metrics_routes();

  awaitable<HttpResponse> healthz(HttpRequest request);
  awaitable<HttpResponse> readyz(HttpRequest request);
  awaitable<HttpResponse> metrics(HttpRequest request);

 private:
  StorageEngine& storage_;
  const MetricsRegistry& metrics_;
};

}  // namespace sms_auth
