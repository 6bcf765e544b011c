#include "claim_request.hpp"

#include "sarang/json.hpp"

namespace sarang::provision {
namespace {

std::string text_field(const json_t* object, const char* name) {
    const json_t* value = json_object_get(object, name);
    return json_is_string(value) ? json_string_value(value) : "";
}

} // namespace

std::optional<ClaimRequest> parse_claim_request(std::string_view payload, ClaimProblem& problem) {
    std::string error;
    json::Ptr body = json::parse(payload, error);
    if (!body || !json_is_object(body.get())) {
        problem = {"invalid_request", "the request must be a JSON object: " + error};
        return std::nullopt;
    }
    for (const char* field : {"device_id", "pin_code"}) {
        if (!json_is_string(json_object_get(body.get(), field))) {
            problem = {"validation_failed",
                       std::string(field) + " is required and must be a string"};
            return std::nullopt;
        }
    }
    return ClaimRequest{text_field(body.get(), "device_id"), text_field(body.get(), "pin_code"),
                        text_field(body.get(), "kind")};
}

} // namespace sarang::provision
