#include "common/log.hpp"

#include "common/clock.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace ketenhub::log {
namespace {
std::atomic<int> g_min_level{static_cast<int>(Level::Info)};
std::mutex g_mutex;
std::string g_node = "ketenhub";

const char* name(Level l) {
    switch (l) {
        case Level::Debug: return "debug";
        case Level::Info: return "info";
        case Level::Warn: return "warn";
        case Level::Error: return "error";
    }
    return "info";
}
}  // namespace

void set_min_level(Level level) { g_min_level = static_cast<int>(level); }

void set_component(std::string node_id) {
    std::lock_guard lock(g_mutex);
    g_node = std::move(node_id);
}

void write(Level level, std::string_view event, nlohmann::json fields) {
    if (static_cast<int>(level) < g_min_level.load()) return;
    // The caller's object becomes the line (no copy of its fields), and it is
    // serialized before the lock: the lock only orders whole lines.
    nlohmann::json line = fields.is_object() ? std::move(fields) : nlohmann::json::object();
    line["ts"] = SystemClock().now_rfc3339_millis();
    line["level"] = name(level);
    line["event"] = std::string(event);
    {
        std::lock_guard lock(g_mutex);
        line["node"] = g_node;
    }
    // Invalid UTF-8 in a field (from a partner's bytes) must not kill logging.
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
    std::lock_guard lock(g_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

}  // namespace ketenhub::log
