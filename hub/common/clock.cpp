#include "common/clock.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <cstdio>

namespace ketenhub {

std::string Clock::now_rfc3339_millis() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    std::string s = sdk::dates::utc_timestamp(secs);  // ...Z
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms - secs * 1000));
    s.insert(s.size() - 1, frac);
    return s;
}

}  // namespace ketenhub
