#pragma once
// Token buckets for failed CONNECTs, one per key (a client address or a username): `burst`
// failures pass, then one more every `refill`. Exhausted keys are refused before any credential
// work, and their log lines are folded into one per `log_interval`. Broker thread only.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sarang::access {

class FailureLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    FailureLimiter(double burst, Clock::duration refill, Clock::duration log_interval,
                   std::size_t max_keys);

    bool exhausted(std::string_view key, Clock::time_point now);
    void failed(std::string_view key, Clock::time_point now);
    // nullopt: stay quiet. Otherwise log now, mentioning how many lines were folded since the
    // key's last line.
    std::optional<std::uint64_t> log_due(std::string_view key, Clock::time_point now);
    // Forgets keys whose bucket is full again; called now and then to bound memory.
    void prune(Clock::time_point now);
    std::size_t size() const { return buckets_.size(); }

  private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
        Clock::time_point last_logged{};
        std::uint64_t folded = 0;
    };
    Bucket& refill(std::string_view key, Clock::time_point now);

    double burst_;
    Clock::duration refill_;
    Clock::duration log_interval_;
    std::size_t max_keys_;
    std::unordered_map<std::string, Bucket> buckets_;
};

} // namespace sarang::access
