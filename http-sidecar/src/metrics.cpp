#include "metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace sarang::http {
namespace {

// Label values are route patterns and known methods (ours, not the client's); escape anyway.
std::string label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

} // namespace

void Metrics::record(std::string_view route, std::string_view method, int status, double seconds) {
    // The method comes from the client: keep the label set bounded.
    static constexpr std::string_view known[] = {"GET",    "HEAD",    "POST", "PUT",
                                                 "DELETE", "OPTIONS", "PATCH"};
    if (std::find(std::begin(known), std::end(known), method) == std::end(known))
        method = "other";
    std::lock_guard lock(mutex_);
    ++requests_[{std::string(route), std::string(method), status}];
    Latency& latency = latency_[std::string(route)];
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (seconds <= buckets[i]) {
            ++latency.le[i];
            break;
        }
    }
    ++latency.count;
    latency.sum += seconds;
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    readings_.push_back({std::move(name), std::move(help), "gauge", std::move(read)});
}

void Metrics::add_counter(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    readings_.push_back({std::move(name), std::move(help), "counter", std::move(read)});
}

void Metrics::add_family(std::function<std::string()> render) {
    std::lock_guard lock(mutex_);
    families_.push_back(std::move(render));
}

std::string metric_label(std::string_view value) {
    return label(value);
}

std::string Metrics::render() const {
    std::string out = render_own();
    std::vector<std::function<std::string()>> families;
    {
        std::lock_guard lock(mutex_);
        families = families_;
    }
    for (const auto& family : families)
        out += family();
    return out;
}

std::string Metrics::render_own() const {
    std::lock_guard lock(mutex_);
    std::string out;
    out += "# HELP sarang_http_requests_total HTTP requests answered, by route pattern, method "
           "and status.\n# TYPE sarang_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
        const auto& [route, method, status] = key;
        out += "sarang_http_requests_total{route=\"" + label(route) + "\",method=\"" +
               label(method) + "\",status=\"" + std::to_string(status) + "\"} " +
               std::to_string(count) + "\n";
    }
    out += "# HELP sarang_http_request_duration_seconds Time from the request's first byte to "
           "its response being queued.\n# TYPE sarang_http_request_duration_seconds histogram\n";
    for (const auto& [route, latency] : latency_) {
        std::string prefix = "sarang_http_request_duration_seconds_bucket{route=\"" + label(route);
        unsigned long long cumulative = 0;
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            cumulative += latency.le[i];
            out += prefix + "\",le=\"" + number(buckets[i]) + "\"} " + std::to_string(cumulative) +
                   "\n";
        }
        out += prefix + "\",le=\"+Inf\"} " + std::to_string(latency.count) + "\n";
        out += "sarang_http_request_duration_seconds_sum{route=\"" + label(route) + "\"} " +
               number(latency.sum) + "\n";
        out += "sarang_http_request_duration_seconds_count{route=\"" + label(route) + "\"} " +
               std::to_string(latency.count) + "\n";
    }
    for (const Reading& reading : readings_) {
        out += "# HELP " + reading.name + " " + reading.help + "\n# TYPE " + reading.name + " " +
               reading.type + "\n" + reading.name + " " + number(reading.read()) + "\n";
    }
    return out;
}

} // namespace sarang::http
