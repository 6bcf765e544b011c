#include "failure_limiter.hpp"

#include <algorithm>

namespace sarang::access {

FailureLimiter::FailureLimiter(double burst, Clock::duration refill, Clock::duration log_interval,
                               std::size_t max_keys)
    : burst_(burst), refill_(refill), log_interval_(log_interval), max_keys_(max_keys) {}

FailureLimiter::Bucket& FailureLimiter::refill(std::string_view key, Clock::time_point now) {
    auto found = buckets_.find(std::string(key));
    if (found == buckets_.end()) {
        if (buckets_.size() >= max_keys_) {
            prune(now);
            // Flooded with distinct keys: forget rather than grow without bound. Also when the
            // prune freed little, or it would rerun (a scan of every key) on each new key.
            if (buckets_.size() > max_keys_ - max_keys_ / 8)
                buckets_.clear();
        }
        found = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
    }
    Bucket& bucket = found->second;
    double earned = std::chrono::duration<double>(now - bucket.updated) /
                    std::chrono::duration<double>(refill_);
    bucket.tokens = std::min(burst_, bucket.tokens + earned);
    bucket.updated = now;
    return bucket;
}

bool FailureLimiter::exhausted(std::string_view key, Clock::time_point now) {
    if (buckets_.find(std::string(key)) == buckets_.end())
        return false;
    return refill(key, now).tokens < 1.0;
}

void FailureLimiter::failed(std::string_view key, Clock::time_point now) {
    Bucket& bucket = refill(key, now);
    bucket.tokens = std::max(0.0, bucket.tokens - 1.0);
}

std::optional<std::uint64_t> FailureLimiter::log_due(std::string_view key, Clock::time_point now) {
    Bucket& bucket = refill(key, now);
    if (bucket.last_logged != Clock::time_point{} && now - bucket.last_logged < log_interval_) {
        ++bucket.folded;
        return std::nullopt;
    }
    std::uint64_t folded = bucket.folded;
    bucket.folded = 0;
    bucket.last_logged = now;
    return folded;
}

void FailureLimiter::prune(Clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& entry) {
        const Bucket& bucket = entry.second;
        double earned = std::chrono::duration<double>(now - bucket.updated) /
                        std::chrono::duration<double>(refill_);
        return bucket.tokens + earned >= burst_ && now - bucket.last_logged >= log_interval_ &&
               bucket.folded == 0;
    });
}

} // namespace sarang::access
