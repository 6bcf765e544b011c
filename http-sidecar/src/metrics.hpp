#pragma once
// Request counters and latency histograms, rendered in the Prometheus text format at /metrics.
// Gauges (pool and queue depths) are read when rendered, from callbacks their owners register.
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sarang::http {

class Metrics {
  public:
    // Upper bounds of the latency buckets, in seconds.
    static constexpr std::array<double, 11> buckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                       0.25,  0.5,   1.0,  2.5,   5.0};

    void record(std::string_view route, std::string_view method, int status, double seconds);
    void add_gauge(std::string name, std::string help, std::function<double()> read);
    void add_counter(std::string name, std::string help, std::function<double()> read);
    // Whole metric families (HELP, TYPE and labelled series) rendered by their owner, e.g. from
    // a database query; called outside the lock, after the rest.
    void add_family(std::function<std::string()> render);

    std::string render() const;

  private:
    std::string render_own() const;
    struct Latency {
        std::array<unsigned long long, buckets.size()> le{}; // non-cumulative per bucket
        unsigned long long count = 0;
        double sum = 0;
    };
    struct Reading {
        std::string name;
        std::string help;
        std::string type;
        std::function<double()> read;
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, unsigned long long> requests_;
    std::map<std::string, Latency> latency_;
    std::vector<Reading> readings_;
    std::vector<std::function<std::string()>> families_;
};

// A Prometheus label value with backslash, quote and newline escaped.
std::string metric_label(std::string_view value);

} // namespace sarang::http
