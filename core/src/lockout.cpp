#include "sarang/lockout.hpp"

#include <algorithm>

namespace sarang {
namespace {

int current_failures(const LockoutState& state, const LockoutRule& rule, WallTime now) {
    return now - state.last_failure >= rule.forget_after ? 0 : state.failures;
}

} // namespace

std::optional<std::chrono::seconds> lockout_for(int failures, const LockoutRule& rule) {
    int over = failures - rule.lock_after + 1;
    if (over <= 0)
        return std::nullopt;
    // base * 2^(over-1), computed without overflow: stop doubling once past the cap.
    std::chrono::seconds lock = rule.base;
    for (int i = 1; i < over && lock < rule.max; ++i)
        lock *= 2;
    return std::min(lock, rule.max);
}

LockoutState after_failure(const LockoutState& state, const LockoutRule& rule, WallTime now) {
    LockoutState next;
    next.failures = current_failures(state, rule, now) + 1;
    next.last_failure = now;
    next.locked_until = state.locked_until;
    if (std::optional<std::chrono::seconds> lock = lockout_for(next.failures, rule))
        next.locked_until = std::max(state.locked_until,
                                     now + std::chrono::duration_cast<WallTime::duration>(*lock));
    return next;
}

std::optional<std::chrono::seconds> lockout_remaining(const LockoutState& state, WallTime now) {
    if (state.locked_until <= now)
        return std::nullopt;
    // Round up: "0 seconds left" while still locked would invite an immediate retry.
    auto left = std::chrono::ceil<std::chrono::seconds>(state.locked_until - now);
    return std::max(left, std::chrono::seconds(1));
}

int attempts_before_lockout(const LockoutState& state, const LockoutRule& rule, WallTime now) {
    return std::max(0, rule.lock_after - current_failures(state, rule, now));
}

} // namespace sarang
