#include "query_params.hpp"

#include "http_error.hpp"
#include "sarang/data_message.hpp"

#include <charconv>

namespace sarang::http {

std::optional<std::string> query_text(const Request& request, std::string_view name) {
    auto found = request.query.find(std::string(name));
    if (found == request.query.end() || found->second.empty())
        return std::nullopt;
    return found->second;
}

std::optional<long long> query_integer(const Request& request, std::string_view name, long long min,
                                       long long max) {
    std::optional<std::string> text = query_text(request, name);
    if (!text)
        return std::nullopt;
    long long value = 0;
    const char* end = text->data() + text->size();
    auto [stop, error] = std::from_chars(text->data(), end, value);
    if (error != std::errc() || stop != end)
        fail_validation(name, "must be a whole number");
    if (value < min || value > max)
        fail_validation(name,
                        "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return value;
}

std::optional<std::string> query_choice(const Request& request, std::string_view name,
                                        std::initializer_list<std::string_view> choices) {
    std::optional<std::string> text = query_text(request, name);
    if (!text)
        return std::nullopt;
    std::string listed;
    for (std::string_view choice : choices) {
        if (*text == choice)
            return text;
        listed += (listed.empty() ? "" : ", ") + std::string(choice);
    }
    fail_validation(name, "must be one of: " + listed);
}

std::optional<std::chrono::system_clock::time_point> query_time(const Request& request,
                                                                std::string_view name) {
    std::optional<std::string> text = query_text(request, name);
    if (!text)
        return std::nullopt;
    std::optional<TimePoint> at = parse_iso8601(*text);
    if (!at)
        fail_validation(name, "must be an ISO 8601 time such as 2026-01-01T10:00:00Z");
    return at;
}

PageRequest query_page(const Request& request) {
    PageRequest page;
    // Bounded so that (page - 1) * size can never overflow an OFFSET.
    page.page = query_integer(request, "page", 1, 1'000'000'000).value_or(1);
    page.size = query_integer(request, "page_size", 1, max_page_size).value_or(default_page_size);
    return page;
}

} // namespace sarang::http
