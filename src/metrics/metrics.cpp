// Metric storage and Prometheus text rendering.
#include "metrics/metrics.hpp"

#include <cmath>
#include <sstream>

namespace sms_auth {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_.size() + 1)) {}

void Histogram::observe(double value) noexcept {
  std::size_t i = 0;
  while (i < upper_bounds_.size() && value > upper_bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(upper_bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

template <class Metric>
Metric& Family<Metric>::labels(const std::vector<std::string>& values) {
  std::lock_guard lock(mutex_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      slot = std::make_unique<Histogram>(buckets_);
    } else {
      slot = std::make_unique<Metric>();
    }
  }
  return *slot;
}

template <class Metric>
std::vector<std::pair<std::vector<std::string>, const Metric*>> Family<Metric>::children() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::vector<std::string>, const Metric*>> out;
  for (const auto& [values, metric] : children_) out.emplace_back(values, metric.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return *counters_.emplace_back(
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(label_names)));
}

Family<Gauge>& MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return *gauges_.emplace_back(
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(label_names)));
}

Family<Histogram>& MetricsRegistry::histogram(std::string name, std::string help, std::vector<double> buckets,
                                              std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return *histograms_.emplace_back(std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                                                       std::move(label_names), std::move(buckets)));
}

namespace {

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       const std::string& extra = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ',';
    out += names[i] + "=\"" + escape_label(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out.empty() ? out : "{" + out + "}";
}

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

template <class Metric>
void header(std::ostringstream& out, const Family<Metric>& family, const char* type) {
  out << "# HELP " << family.name() << ' ' << family.help() << '\n';
  out << "# TYPE " << family.name() << ' ' << type << '\n';
}

}  // namespace

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& family : counters_) {
    header(out, *family, "counter");
    for (const auto& [values, metric] : family->children()) {
      out << family->name() << label_text(family->label_names(), values) << ' ' << metric->value() << '\n';
    }
  }
  for (const auto& family : gauges_) {
    header(out, *family, "gauge");
    for (const auto& [values, metric] : family->children()) {
      out << family->name() << label_text(family->label_names(), values) << ' ' << number(metric->value()) << '\n';
    }
  }
  for (const auto& family : histograms_) {
    header(out, *family, "histogram");
    for (const auto& [values, metric] : family->children()) {
      const auto counts = metric->cumulative_counts();
      const auto& bounds = metric->upper_bounds();
      for (std::size_t i = 0; i < counts.size(); ++i) {
        const std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
        out << family->name() << "_bucket" << label_text(family->label_names(), values, "le=\"" + le + "\"") << ' '
            << counts[i] << '\n';
      }
      out << family->name() << "_sum" << label_text(family->label_names(), values) << ' ' << number(metric->sum())
          << '\n';
      out << family->name() << "_count" << label_text(family->label_names(), values) << ' ' << counts.back() << '\n';
    }
  }
  return out.str();
}

}  // namespace sms_auth
