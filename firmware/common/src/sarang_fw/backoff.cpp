#include "sarang_fw/backoff.hpp"

#include <algorithm>

namespace sarang_fw {

std::uint32_t Backoff::next_delay_ms(Random& random) {
    std::uint64_t ceiling = base_ms_;
    for (std::uint32_t i = 0; i < failures_ && ceiling < max_ms_; ++i)
        ceiling *= 2;
    ceiling = std::min<std::uint64_t>(ceiling, max_ms_);
    if (failures_ < 64)
        ++failures_;
    std::uint64_t half = ceiling / 2;
    return static_cast<std::uint32_t>(half + random.next() % (ceiling - half + 1));
}

} // namespace sarang_fw
