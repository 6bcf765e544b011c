// The claimant's registration request on sarang/provision/<client id>/request, and the checks
// of its values that run before any database work.
#include "claim_request.hpp"
#include "fuzz_support.hpp"
#include "sarang/json.hpp"
#include "sarang/provisioning.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string payload(reinterpret_cast<const char*>(data), size);
    sarang::provision::ClaimProblem problem;
    std::optional<sarang::provision::ClaimRequest> request =
        sarang::provision::parse_claim_request(payload, problem);
    FUZZ_CHECK(request.has_value() == problem.code.empty());
    if (!request) {
        FUZZ_CHECK(problem.code == "invalid_request" || problem.code == "validation_failed");
        // The message goes back to the device inside a JSON answer: it must be a valid string.
        sarang::json::Ptr message = sarang::json::own(json_string(problem.message.c_str()));
        FUZZ_CHECK(json_string_length(message.get()) == problem.message.size());
        return 0;
    }
    if (std::optional<std::string> id =
            sarang::provisioning::normalize_device_id(request->device_id))
        FUZZ_CHECK(id->size() == 12);
    sarang::provisioning::label_pin_problem(request->pin);
    return 0;
}
