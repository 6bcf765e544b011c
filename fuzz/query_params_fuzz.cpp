// Query parameters of the list and range endpoints: pages, choices, numbers and ISO 8601 times.
// The input is a query string ("a=1&b=2"), split the way the server hands it over; every
// refusal must be a 4xx HttpError, every accepted value inside its range.
#include "http_fuzz_support.hpp"
#include "query_params.hpp"

using namespace sarang::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Request request;
    while (!text.empty()) {
        std::string_view pair = text.substr(0, text.find('&'));
        text.remove_prefix(std::min(text.size(), pair.size() + 1));
        std::size_t equals = pair.find('=');
        request.query[std::string(pair.substr(0, equals))] =
            equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1));
    }
    refuses_cleanly([&] {
        PageRequest page = query_page(request);
        FUZZ_CHECK(page.page >= 1 && page.size >= 1 && page.size <= max_page_size);
        FUZZ_CHECK(page.offset() >= 0);
    });
    refuses_cleanly([&] {
        if (std::optional<long long> limit = query_integer(request, "limit", 1, 1000))
            FUZZ_CHECK(*limit >= 1 && *limit <= 1000);
    });
    refuses_cleanly([&] { query_choice(request, "bucket", {"raw", "minute", "hour"}); });
    refuses_cleanly([&] { query_time(request, "from"); });
    refuses_cleanly([&] { query_text(request, "search"); });
    return 0;
}
