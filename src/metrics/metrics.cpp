// The metric interface over prometheus-cpp: registration, label lookup, text exposition.
#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <type_traits>

namespace sms_auth {

void Counter::inc(std::uint64_t by) noexcept { metric_.Increment(static_cast<double>(by)); }
std::uint64_t Counter::value() const noexcept { return static_cast<std::uint64_t>(metric_.Value()); }

void Gauge::set(double value) noexcept { metric_.Set(value); }
void Gauge::add(double by) noexcept { metric_.Increment(by); }
double Gauge::value() const noexcept { return metric_.Value(); }

void Histogram::observe(double value) noexcept { metric_.Observe(value); }

namespace {

template <class Metric>
struct PrometheusType;
template <>
struct PrometheusType<Counter> {
  using type = prometheus::Counter;
  static auto builder() { return prometheus::BuildCounter(); }
};
template <>
struct PrometheusType<Gauge> {
  using type = prometheus::Gauge;
  static auto builder() { return prometheus::BuildGauge(); }
};
template <>
struct PrometheusType<Histogram> {
  using type = prometheus::Histogram;
  static auto builder() { return prometheus::BuildHistogram(); }
};

}  // namespace

template <class Metric>
Family<Metric>::Family(prometheus::Registry& registry, std::string name, std::string help,
                       std::vector<std::string> label_names, std::vector<double> buckets)
    : label_names_(std::move(label_names)), buckets_(std::move(buckets)),
      family_(&PrometheusType<Metric>::builder().Name(name).Help(help).Register(registry)) {}

template <class Metric>
Metric& Family<Metric>::labels(const std::vector<std::string>& values) {
  std::lock_guard lock(mutex_);
  auto& slot = children_[values];
  if (!slot) {
    prometheus::Labels labels;
    for (std::size_t i = 0; i < label_names_.size() && i < values.size(); ++i) labels[label_names_[i]] = values[i];
    auto& family = *static_cast<prometheus::Family<typename PrometheusType<Metric>::type>*>(family_);
    if constexpr (std::is_same_v<Metric, Histogram>) {
      slot = std::make_unique<Metric>(family.Add(labels, prometheus::Histogram::BucketBoundaries(buckets_)));
    } else {
      slot = std::make_unique<Metric>(family.Add(labels));
    }
  }
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

MetricsRegistry::MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}
MetricsRegistry::~MetricsRegistry() = default;

Family<Counter>& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return *counters_.emplace_back(
      std::make_unique<Family<Counter>>(*registry_, std::move(name), std::move(help), std::move(label_names)));
}

Family<Gauge>& MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return *gauges_.emplace_back(
      std::make_unique<Family<Gauge>>(*registry_, std::move(name), std::move(help), std::move(label_names)));
}

Family<Histogram>& MetricsRegistry::histogram(std::string name, std::string help, std::vector<double> buckets,
                                              std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return *histograms_.emplace_back(std::make_unique<Family<Histogram>>(
      *registry_, std::move(name), std::move(help), std::move(label_names), std::move(buckets)));
}

std::string MetricsRegistry::render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace sms_auth
