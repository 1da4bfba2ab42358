// Operational endpoints: /healthz (alive), /readyz (database reachable and migrated), /metrics (Prometheus).
#pragma once

#include <mutex>
#include <vector>

#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "storage/stores.hpp"

namespace sms_auth {

class HealthHandlers {
 public:
  HealthHandlers(AsyncStorageHealth& storage, MetricsRegistry& metrics);

  // /healthz and /readyz.
  std::vector<Route> routes();
  // /metrics: on the public router, or on METRICS_LISTEN's own.
  std::vector<Route> metrics_routes();

  awaitable<HttpResponse> healthz(HttpRequest request);
  awaitable<HttpResponse> readyz(HttpRequest request);
  awaitable<HttpResponse> metrics(HttpRequest request);

 private:
  // The engine counts what group commit did; each scrape adds what it counted since the last one.
  void publish_group_commit_stats();

  AsyncStorageHealth& storage_;
  const MetricsRegistry& metrics_;
  Counter& commit_groups_;
  Counter& grouped_calls_;
  Counter& groups_undone_;
  std::mutex published_mutex_;
  GroupCommitStats published_;
};

}  // namespace sms_auth
