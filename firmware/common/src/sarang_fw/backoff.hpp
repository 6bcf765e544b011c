#pragma once
// Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet that
// lost its broker at the same moment does not come back at the same moment.
#include "sarang_fw/platform.hpp"

#include <cstdint>

namespace sarang_fw {

class Backoff {
  public:
    Backoff(std::uint32_t base_ms = 1000, std::uint32_t max_ms = 60000)
        : base_ms_(base_ms), max_ms_(max_ms) {}
    // The delay before the next attempt; each call doubles the ceiling up to max_ms.
    std::uint32_t next_delay_ms(Random& random);
    void reset() { failures_ = 0; }
    std::uint32_t failures() const { return failures_; }

  private:
    std::uint32_t base_ms_;
    std::uint32_t max_ms_;
    std::uint32_t failures_ = 0;
};

} // namespace sarang_fw
