// Time as a dependency: the core asks a Clock, so tests and the future
// scheduler (four-weekly DT&V report) can run on a controlled clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ketenhub {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;

    int64_t now_unix() const {
        return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
    }
    // "2026-11-28T13:53:06.123Z"
    std::string now_rfc3339_millis() const;
};

class SystemClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::chrono::system_clock::time_point t) : t_(t) {}
    std::chrono::system_clock::time_point now() const override { return t_; }
    void advance(std::chrono::system_clock::duration d) { t_ += d; }

private:
    std::chrono::system_clock::time_point t_;
};

}  // namespace ketenhub
