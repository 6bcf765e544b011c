#pragma once
// The "home_id" field of a request body: one of the caller's homes (GET/POST /api/v1/homes).
#include "services.hpp"

#include <jansson.h>
#include <optional>

namespace sarang::http {

// nullopt when absent or null and not `required`; 422 naming home_id when it is missing but
// required, not an integer, or not a home of `user_id`.
std::optional<long long> home_field(Services& services, const json_t* body, long long user_id,
                                    bool required);

} // namespace sarang::http
