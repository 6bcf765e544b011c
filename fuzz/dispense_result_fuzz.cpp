// A vending machine's dispense_result payload, and the webhook's gross amount.
#include "fuzz_support.hpp"
#include "sarang/vending.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider input(data, size);
    std::string amount = input.ConsumeRandomLengthString(32);
    if (std::optional<long long> whole = sarang::vending::parse_gross_amount(amount))
        FUZZ_CHECK(*whole >= 0);
    std::string payload = input.ConsumeRemainingBytesAsString();
    std::string problem;
    std::optional<sarang::vending::DispenseResult> result =
        sarang::vending::parse_dispense_result(payload, problem);
    FUZZ_CHECK(result.has_value() == problem.empty());
    if (result) {
        FUZZ_CHECK(sarang::vending::valid_order_id(result->order_id));
        sarang::vending::OrderView order{"m-1", result->slot, "DISPENSING", true, false, false};
        sarang::vending::classify_result(order, "m-1", *result);
        sarang::vending::classify_result(std::nullopt, "m-1", *result);
    }
    return 0;
}
