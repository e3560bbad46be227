// Counters for handled errors and traffic, and histograms of how long the
// steps of an ingest take. Cheap to bump from any thread; exposed as
// Prometheus text on GET /v1/metrics and logged at shutdown.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ketenhub::metrics {

class Counter {
public:
    void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

class Gauge {
public:
    void add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
    void set(int64_t n) { value_.store(n, std::memory_order_relaxed); }
    int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<int64_t> value_{0};
};

// Durations in seconds, counted into fixed buckets from 0.25 ms to 10 s
// (Prometheus histogram: each bucket counts the observations at or below its
// bound). The bounds are the same for every histogram so that the steps of one
// request can be read side by side.
class Histogram {
public:
    static constexpr std::array<double, 15> kBounds{0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                    0.05,    0.1,    0.2,   0.5,   1.0,   2.0,  5.0, 10.0};
    void observe(double seconds);
    void observe(std::chrono::steady_clock::duration d) { observe(std::chrono::duration<double>(d).count()); }
    // Observations at or below kBounds[i]; index kBounds.size() is all of them.
    uint64_t cumulative(size_t i) const;
    uint64_t count() const { return cumulative(kBounds.size()); }
    double sum_seconds() const { return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }

private:
    std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // not cumulative; the last is above every bound
    std::atomic<uint64_t> sum_ns_{0};
};

// Name with optional labels: counter("ingest_rejected_total{partner=\"coa\"}").
Counter& counter(const std::string& name);
Gauge& gauge(const std::string& name);
Histogram& histogram(const std::string& name);

// Prometheus text exposition of every counter, gauge and histogram.
std::string render_prometheus();

}  // namespace ketenhub::metrics
