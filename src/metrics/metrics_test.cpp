// The metric interface over prometheus-cpp: children by label values, and the text exposition Prometheus expects.
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(Metrics, CountersAndGaugesAreKeptPerLabelValues) {
  MetricsRegistry registry;
  auto& sent = registry.counter("sms_auth_test_sent_total", "sent", {"outcome"});
  sent.labels({"sent"}).inc();
  sent.labels({"sent"}).inc(2);
  sent.labels({"rejected"}).inc();
  EXPECT_EQ(sent.labels({"sent"}).value(), 3u);
  auto& balance = registry.gauge("sms_auth_test_balance", "balance", {"currency"});
  balance.labels({"KZT"}).set(10.5);
  balance.labels({"KZT"}).add(-0.5);
  EXPECT_DOUBLE_EQ(balance.labels({"KZT"}).value(), 10.0);
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, "# TYPE sms_auth_test_sent_total counter")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_sent_total{outcome=\"sent\"} 3")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_sent_total{outcome=\"rejected\"} 1")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_balance{currency=\"KZT\"} 10")) << text;
}

TEST(Metrics, HistogramBoundsPrintAsPrometheusPrintsThem) {
  MetricsRegistry registry;
  auto& latency = registry.histogram("sms_auth_test_seconds", "latency", {0.0005, 0.001, 2.5, 10}, {"route"});
  latency.labels({"/healthz"}).observe(0.0007);
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, "sms_auth_test_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} 0")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 1")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_seconds_bucket{route=\"/healthz\",le=\"2.5\"} 1")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 1")) << text;
  EXPECT_TRUE(has(text, "sms_auth_test_seconds_count{route=\"/healthz\"} 1")) << text;
  EXPECT_EQ(text.find("0.00050000000000000001"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.counter("sms_auth_test_total", "escaping", {"value"}).labels({"a\"b\\c\nd"}).inc();
  EXPECT_TRUE(has(registry.render(), "sms_auth_test_total{value=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(Metrics, TheSameFamilyRegisteredTwiceIsOneFamily) {
  MetricsRegistry registry;
  registry.counter("sms_auth_test_requests_total", "requests", {"route"}).labels({"/a"}).inc();
  registry.counter("sms_auth_test_requests_total", "requests", {"route"}).labels({"/a"}).inc();
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, "sms_auth_test_requests_total{route=\"/a\"} 2")) << text;
}

}  // namespace
}  // namespace sms_auth
