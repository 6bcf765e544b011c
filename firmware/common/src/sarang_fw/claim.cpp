#include "sarang_fw/claim.hpp"

#include "sarang_fw/device_id.hpp"
#include "sarang_fw/json.hpp"

namespace sarang_fw {

std::string claim_request(std::string_view device_id, std::string_view label_pin,
                          std::string_view kind) {
    return Json::object()
        .set_string("device_id", device_id)
        .set_string("pin_code", label_pin)
        .set_string("kind", kind)
        .print();
}

ClaimAnswer parse_claim_answer(std::string_view payload) {
    ClaimAnswer answer;
    std::optional<Json> root = Json::parse(payload);
    if (!root || !root->view().is_object()) {
        answer.status = "invalid_answer";
        answer.outcome = ClaimAnswer::Outcome::retry_later;
        return answer;
    }
    JsonView view = root->view();
    answer.status = view.string("status").value_or("");
    if (answer.status == "registered" || answer.status == "reissued") {
        answer.device_id = view.string("device_id").value_or("");
        answer.username = view.string("username").value_or(answer.device_id);
        answer.client_id = view.string("client_id").value_or(answer.device_id);
        answer.password = view.string("password").value_or("");
        answer.topic_prefix = view.string("topic_prefix").value_or("");
        answer.kind = view.string("kind").value_or("");
        bool complete = valid_device_id(answer.username) && valid_device_id(answer.client_id) &&
                        !answer.password.empty() && !answer.topic_prefix.empty();
        answer.outcome =
            complete ? ClaimAnswer::Outcome::credential : ClaimAnswer::Outcome::retry_later;
        return answer;
    }
    std::string code = view.string("code").value_or(answer.status);
    answer.status = code;
    if (code == "locked_out") {
        answer.outcome = ClaimAnswer::Outcome::retry_later;
        long long seconds = view.whole_number("retry_after_s").value_or(30);
        answer.retry_after_ms = static_cast<std::uint32_t>(seconds > 0 ? seconds * 1000 : 1000);
    } else if (code == "busy" || code == "unavailable" || code == "too_many_requests" ||
               code == "prefix_taken") {
        answer.outcome = ClaimAnswer::Outcome::retry_later;
    } else {
        answer.outcome = ClaimAnswer::Outcome::refused;
    }
    return answer;
}

} // namespace sarang_fw
