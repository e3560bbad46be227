// The metrics registry's Prometheus text: counters, gauges and histograms.
#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>
#include <vector>

using namespace ketenhub;

namespace {
// The value on the line of the exposition that starts with `series` and a
// space ("" when there is no such line).
std::string value_of(const std::string& text, const std::string& series) {
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    const size_t start = at + 1 + series.size() + 1;
    return text.substr(start, text.find('\n', start) - start);
}
}  // namespace

TEST(Metrics, AHistogramCountsEachObservationIntoItsBucketAndRendersThemCumulatively) {
    auto& h = metrics::histogram("metrics_test_one_seconds");
    h.observe(0.0001);  // at or below 0.25 ms
    h.observe(0.00025);  // on a bound: counted in that bucket
    h.observe(0.003);    // 5 ms bucket
    h.observe(std::chrono::milliseconds(30));  // 50 ms bucket
    h.observe(60.0);     // above every bound
    EXPECT_EQ(h.cumulative(0), 2u);
    EXPECT_EQ(h.cumulative(3), 2u);  // 2 ms
    EXPECT_EQ(h.cumulative(4), 3u);  // 5 ms
    EXPECT_EQ(h.cumulative(7), 4u);  // 50 ms
    EXPECT_EQ(h.count(), 5u);
    EXPECT_NEAR(h.sum_seconds(), 60.03335, 1e-6);

    const std::string text = metrics::render_prometheus();
    EXPECT_NE(text.find("# TYPE ketenhub_metrics_test_one_seconds histogram\n"), std::string::npos) << text;
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_one_seconds_bucket{le=\"0.00025\"}"), "2");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_one_seconds_bucket{le=\"0.005\"}"), "3");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_one_seconds_bucket{le=\"10\"}"), "4");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_one_seconds_bucket{le=\"+Inf\"}"), "5");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_one_seconds_count"), "5");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_one_seconds_sum"), "60.033350");
}

TEST(Metrics, AHistogramsOwnLabelsComeBeforeTheBucketBound) {
    metrics::histogram("metrics_test_two_seconds{partner=\"coa\"}").observe(0.0015);
    metrics::histogram("metrics_test_two_seconds{partner=\"vwn\"}").observe(0.5);
    const std::string text = metrics::render_prometheus();
    // One TYPE line for the metric, whatever its labels.
    EXPECT_EQ(text.find("# TYPE ketenhub_metrics_test_two_seconds histogram\n"),
              text.rfind("# TYPE ketenhub_metrics_test_two_seconds histogram\n"));
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_two_seconds_bucket{partner=\"coa\",le=\"0.002\"}"), "1");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_two_seconds_bucket{partner=\"vwn\",le=\"0.2\"}"), "0");
    EXPECT_EQ(value_of(text, "ketenhub_metrics_test_two_seconds_count{partner=\"vwn\"}"), "1");
}

TEST(Metrics, ObservationsFromManyThreadsAreAllCounted) {
    auto& h = metrics::histogram("metrics_test_three_seconds");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&h] {
            for (int i = 0; i < 10000; ++i) h.observe(0.001 * (i % 3));
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(h.count(), 40000u);
    EXPECT_EQ(h.cumulative(0), 13336u);  // the zeros: i % 3 == 0, 3,334 per thread
}

TEST(Metrics, ANegativeOrNotANumberDurationCountsAsZero) {
    auto& h = metrics::histogram("metrics_test_four_seconds");
    h.observe(-1.0);
    h.observe(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(h.cumulative(0), 2u);
    EXPECT_EQ(h.sum_seconds(), 0.0);
}
