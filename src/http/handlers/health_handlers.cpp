// Liveness, readiness and metrics.
#include "http/handlers/health_handlers.hpp"

#include <spdlog/spdlog.h>

#include "http/error_response.hpp"
#include "http/json_body.hpp"

namespace sms_auth {

HealthHandlers::HealthHandlers(AsyncStorageHealth& storage, MetricsRegistry& metrics)
    : storage_(storage),
      metrics_(metrics),
      commit_groups_(metrics
                         .counter("sms_auth_storage_commit_groups_total",
                                  "Transactions that several storage calls shared (SQLite group commit)")
                         .get()),
      grouped_calls_(metrics
                         .counter("sms_auth_storage_grouped_calls_total",
                                  "Storage calls answered from a shared transaction (SQLite group commit)")
                         .get()),
      groups_undone_(metrics
                         .counter("sms_auth_storage_commit_groups_undone_total",
                                  "Shared transactions rolled back, whose calls then ran one by one")
                         .get()) {}

void HealthHandlers::publish_group_commit_stats() {
  const GroupCommitStats now = storage_.group_commit_stats();
  std::lock_guard lock(published_mutex_);
  commit_groups_.inc(now.groups_committed - published_.groups_committed);
  grouped_calls_.inc(now.calls_grouped - published_.calls_grouped);
  groups_undone_.inc(now.groups_undone - published_.groups_undone);
  published_ = now;
}

std::vector<Route> HealthHandlers::routes() {
  return {
      {"GET", "/healthz", std::bind_front(&HealthHandlers::healthz, this)},
      {"GET", "/readyz", std::bind_front(&HealthHandlers::readyz, this)},
  };
}

std::vector<Route> HealthHandlers::metrics_routes() {
  return {{"GET", "/metrics", std::bind_front(&HealthHandlers::metrics, this)}};
}

awaitable<HttpResponse> HealthHandlers::healthz(HttpRequest) { co_return json_response(200, {{"status", "ok"}}); }

awaitable<HttpResponse> HealthHandlers::readyz(HttpRequest) {
  try {
    auto pinging = storage_.ping();  // named (core/async.hpp)
    co_await std::move(pinging);
    auto reading = storage_.schema_version();
    const int applied = co_await std::move(reading);
    if (applied != storage_.expected_schema_version()) {
      co_return error_response(make_error(errc::unavailable, "The database schema is not up to date"));
    }
  } catch (const StorageUnavailable& e) {
    spdlog::warn("readyz: database unavailable: {}", e.what());
    co_return error_response(make_error(errc::unavailable, "The database is not reachable"));
  }
  co_return json_response(200, {{"status", "ready"}});
}

awaitable<HttpResponse> HealthHandlers::metrics(HttpRequest) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  publish_group_commit_stats();
  response.body = metrics_.render();
  co_return response;
}

}  // namespace sms_auth
