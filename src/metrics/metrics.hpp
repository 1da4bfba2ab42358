// Prometheus metrics: counters, gauges and histograms with labels, kept and rendered by prometheus-cpp (Debian's
// libprometheus-cpp) behind the small interface the rest of the service uses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace sms_auth {

class Counter {
 public:
  explicit Counter(prometheus::Counter& metric) : metric_(metric) {}
  void inc(std::uint64_t by = 1) noexcept;
  std::uint64_t value() const noexcept;

 private:
  prometheus::Counter& metric_;
};

class Gauge {
 public:
  explicit Gauge(prometheus::Gauge& metric) : metric_(metric) {}
  void set(double value) noexcept;
  void add(double by) noexcept;
  double value() const noexcept;

 private:
  prometheus::Gauge& metric_;
};

class Histogram {
 public:
  explicit Histogram(prometheus::Histogram& metric) : metric_(metric) {}
  void observe(double value) noexcept;

 private:
  prometheus::Histogram& metric_;
};

// A metric name with label names, and one child per distinct set of label values. Children live as long as the
// registry, so references to them may be kept. A child is looked up here (one map, one short lock), not in
// prometheus-cpp's family, which hashes a label map per call.
template <class Metric>
class Family {
 public:
  Family(prometheus::Registry& registry, std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {});

  Metric& labels(const std::vector<std::string>& values);
  Metric& get() { return labels({}); }

 private:
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;
  void* family_;  // the prometheus::Family of Metric's prometheus type
  std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// Owns every metric family of the process; built once by the composition root and passed by reference.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<double> buckets,
                               std::vector<std::string> label_names = {});

  // The Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

}  // namespace sms_auth
