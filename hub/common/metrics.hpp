// Counters for handled errors and traffic. Cheap to bump from any thread;
// exposed as Prometheus text on GET /v1/metrics and logged at shutdown.
#pragma once

#include <atomic>
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

// Name with optional labels: counter("ingest_rejected_total{partner=\"coa\"}").
Counter& counter(const std::string& name);
Gauge& gauge(const std::string& name);

// Prometheus text exposition of every counter and gauge.
std::string render_prometheus();

}  // namespace ketenhub::metrics
