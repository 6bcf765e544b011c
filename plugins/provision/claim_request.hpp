#pragma once
// The claimant's request on sarang/provision/<client id>/request, as a device sends it:
// {"device_id": "44:1d:64:be:22:08", "pin_code": "...", "kind": "relay"} (kind optional). Pure:
// the registrar checks the values themselves (provisioning::register_device); this only takes
// the bytes apart. Fuzzed by fuzz/provision_request_fuzz.cpp.
#include <optional>
#include <string>
#include <string_view>

namespace sarang::provision {

struct ClaimRequest {
    std::string device_id;
    std::string pin;
    std::string kind; // empty: the default kind
};

struct ClaimProblem {
    std::string code; // invalid_request or validation_failed
    std::string message;
};

// nullopt and `problem` (the error answer's code and message) when it is not a request.
std::optional<ClaimRequest> parse_claim_request(std::string_view payload, ClaimProblem& problem);

} // namespace sarang::provision
