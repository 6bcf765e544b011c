#pragma once
// Self-registration through the broker's claim identity (docs/provisioning.md): connect as
// "$provision" with the factory secret, ask on sarang/provision/<client id>/request, get the
// device's own credential on .../response, reconnect as the device.
#include <cstdint>
#include <string>
#include <string_view>

namespace sarang_fw {

// {"device_id","pin_code","kind"}
std::string claim_request(std::string_view device_id, std::string_view label_pin,
                          std::string_view kind);

struct ClaimAnswer {
    enum class Outcome {
        credential,  // registered or reissued: the fields below are set
        retry_later, // busy, unavailable, locked out, too many requests: after retry_after_ms
        refused,     // wrong PIN, not re-registrable, invalid request: a person must look
    };
    Outcome outcome = Outcome::refused;
    std::string status; // registered, reissued, or the error code
    std::string device_id, username, client_id, password, topic_prefix, kind;
    std::uint32_t retry_after_ms = 0; // 0: the caller's own backoff
};

ClaimAnswer parse_claim_answer(std::string_view payload);

} // namespace sarang_fw
