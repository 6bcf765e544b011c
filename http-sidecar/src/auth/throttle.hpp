#pragma once
// Brute-force counters (sarang/throttle_store) and the 429 the sidecar answers a lockout with.
#include "response.hpp"
#include "sarang/throttle_store.hpp"

#include <string_view>

namespace sarang::http {

using sarang::admit_attempt;
using sarang::Attempt;
using sarang::current_lockout;
using sarang::FailureOutcome;
using sarang::forget_failures;
using sarang::Lockout;
using sarang::record_failure;
using sarang::release_attempt;
using sarang::ThrottleKey;

// 429 {"error", "code": "locked_out", "lockoutUntil", "remainingSeconds"} with Retry-After.
Response lockout_response(const Lockout& lockout, std::string_view what);

} // namespace sarang::http
