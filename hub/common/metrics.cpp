#include "common/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace ketenhub::metrics {
namespace {
struct Registry {
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
};
Registry& registry() {
    static Registry r;
    return r;
}

// The metric of that name, made on first use; it lives as long as the process.
template <class T>
T& named(std::map<std::string, std::unique_ptr<T>> Registry::*kind, const std::string& name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto& slot = (r.*kind)[name];
    if (!slot) slot = std::make_unique<T>();
    return *slot;
}
}  // namespace

Counter& counter(const std::string& name) { return named(&Registry::counters, name); }
Gauge& gauge(const std::string& name) { return named(&Registry::gauges, name); }
Histogram& histogram(const std::string& name) { return named(&Registry::histograms, name); }

void Histogram::observe(double seconds) {
    if (!(seconds >= 0)) seconds = 0;  // a clock that stepped back, or NaN
    const auto at = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
    buckets_[static_cast<size_t>(at - kBounds.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

uint64_t Histogram::cumulative(size_t i) const {
    uint64_t n = 0;
    for (size_t b = 0; b <= i && b < buckets_.size(); ++b) n += buckets_[b].load(std::memory_order_relaxed);
    return n;
}

namespace {
// "0.00025", "10": the shortest text that reads back as the bound.
std::string bound_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
}  // namespace

std::string render_prometheus() {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::string out;
    auto base = [](const std::string& n) { return n.substr(0, n.find('{')); };
    std::string last;
    for (const auto& [name, c] : r.counters) {
        if (base(name) != last) out += "# TYPE ketenhub_" + (last = base(name)) + " counter\n";
        out += "ketenhub_" + name + " " + std::to_string(c->value()) + "\n";
    }
    last.clear();
    for (const auto& [name, g] : r.gauges) {
        if (base(name) != last) out += "# TYPE ketenhub_" + (last = base(name)) + " gauge\n";
        out += "ketenhub_" + name + " " + std::to_string(g->value()) + "\n";
    }
    last.clear();
    for (const auto& [name, h] : r.histograms) {
        const std::string metric = base(name);
        // The name's own labels, if any, come before "le".
        const size_t brace = name.find('{');
        const std::string labels = brace == std::string::npos ? "" : name.substr(brace + 1, name.size() - brace - 2);
        const std::string lead = labels.empty() ? "" : labels + ",";
        const std::string own = labels.empty() ? "" : "{" + labels + "}";
        if (metric != last) out += "# TYPE ketenhub_" + (last = metric) + " histogram\n";
        for (size_t i = 0; i < Histogram::kBounds.size(); ++i)
            out += "ketenhub_" + metric + "_bucket{" + lead + "le=\"" + bound_text(Histogram::kBounds[i]) + "\"} " +
                   std::to_string(h->cumulative(i)) + "\n";
        out += "ketenhub_" + metric + "_bucket{" + lead + "le=\"+Inf\"} " + std::to_string(h->count()) + "\n";
        char sum[48];
        std::snprintf(sum, sizeof sum, "%.6f", h->sum_seconds());
        out += "ketenhub_" + metric + "_sum" + own + " " + sum + "\n";
        out += "ketenhub_" + metric + "_count" + own + " " + std::to_string(h->count()) + "\n";
    }
    return out;
}

}  // namespace ketenhub::metrics
