// ISO 8601 times from devices ("timestamp") and from query parameters (from, to).
#include "fuzz_support.hpp"
#include "sarang/data_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::optional<sarang::TimePoint> at = sarang::parse_iso8601(text);
    if (at) {
        // The time a message is stored under stays within the plausibility window.
        auto now = std::chrono::system_clock::now();
        sarang::TimePoint stored = sarang::message_time(now, at);
        FUZZ_CHECK(stored <= now + std::chrono::minutes(5));
        FUZZ_CHECK(stored >= now - std::chrono::hours(24 * 7));
    }
    return 0;
}
