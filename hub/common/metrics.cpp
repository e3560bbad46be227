#include "common/metrics.hpp"

namespace ketenhub::metrics {
namespace {
struct Registry {
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
};
Registry& registry() {
    static Registry r;
    return r;
}
}  // namespace

Counter& counter(const std::string& name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto& slot = r.counters[name];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Gauge& gauge(const std::string& name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto& slot = r.gauges[name];
    if (!slot) slot = std::make_unique<Gauge>();
    return *slot;
}

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
    return out;
}

}  // namespace ketenhub::metrics
