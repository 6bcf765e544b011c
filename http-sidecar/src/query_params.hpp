#pragma once
// Reading list and range parameters from a query string. A bad value is a 422 naming the
// parameter (fail_validation), never a silent default: a dashboard that typos `page_size`
// should hear about it rather than get 50 rows.
#include "router.hpp"

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sarang::http {

// The parameter's text, nullopt when absent or empty (DRF treats `?kind=` as no filter).
std::optional<std::string> query_text(const Request& request, std::string_view name);

// A whole number in [min, max]; nullopt when absent.
std::optional<long long> query_integer(const Request& request, std::string_view name, long long min,
                                       long long max);

// One of `choices`; nullopt when absent.
std::optional<std::string> query_choice(const Request& request, std::string_view name,
                                        std::initializer_list<std::string_view> choices);

// ISO 8601 (see parse_iso8601); nullopt when absent.
std::optional<std::chrono::system_clock::time_point> query_time(const Request& request,
                                                                std::string_view name);

struct PageRequest {
    long long page = 1; // 1-based
    long long size = 50;
    long long offset() const { return (page - 1) * size; }
};

constexpr long long default_page_size = 50;
constexpr long long max_page_size = 500;

// page (>= 1) and page_size (1..500, default 50).
PageRequest query_page(const Request& request);

} // namespace sarang::http
