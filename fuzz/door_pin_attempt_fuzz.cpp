// A door lock's keypad attempt ({prefix}/pin/attempt) and its own alert ({prefix}/alert).
#include "fuzz_support.hpp"
#include "sarang/door_pin.hpp"
#include "sarang/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string payload(reinterpret_cast<const char*>(data), size);
    std::string problem;
    std::optional<sarang::door::Attempt> attempt = sarang::door::parse_attempt(payload, problem);
    FUZZ_CHECK(attempt.has_value() == problem.empty());
    if (attempt) {
        FUZZ_CHECK(size <= sarang::door::max_attempt_bytes);
        FUZZ_CHECK(attempt->attempt_id.size() <= 64);
        // The verdict echoes the attempt id: it must still be valid JSON.
        sarang::door::Verdict verdict;
        verdict.attempt_id = attempt->attempt_id;
        std::string json_error;
        FUZZ_CHECK(sarang::json::parse(sarang::door::verdict_json(verdict), json_error));
    } else {
        // The reason is logged, so it never repeats a PIN the keypad sent (keypad PINs are
        // digits; five or more never occur in the reasons' own words).
        std::string json_error;
        sarang::json::Ptr sent = sarang::json::parse(payload, json_error);
        const json_t* pin = sent ? json_object_get(sent.get(), "pin") : nullptr;
        std::string digits = json_is_string(pin) ? json_string_value(pin) : "";
        if (digits.size() >= 5 && digits.find_first_not_of("0123456789") == std::string::npos)
            FUZZ_CHECK(problem.find(digits) == std::string::npos);
    }
    if (std::optional<std::string> alert = sarang::door::lock_alert_data(payload)) {
        std::string json_error;
        FUZZ_CHECK(sarang::json::parse(*alert, json_error));
    }
    return 0;
}
