// Structured logs: one JSON object per line on stderr, so operators can feed
// them to any log pipeline. Document contents are never logged.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace ketenhub::log {

enum class Level { Debug, Info, Warn, Error };

void set_min_level(Level level);
void set_component(std::string node_id);

// Writes {"ts":...,"level":...,"node":...,"event":..., ...fields} as one line.
void write(Level level, std::string_view event, nlohmann::json fields = nlohmann::json::object());

inline void debug(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(Level::Debug, e, std::move(f)); }
inline void info(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(Level::Info, e, std::move(f)); }
inline void warn(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(Level::Warn, e, std::move(f)); }
inline void error(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(Level::Error, e, std::move(f)); }

}  // namespace ketenhub::log
