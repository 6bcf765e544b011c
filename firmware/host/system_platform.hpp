#pragma once
// The core's clock, randomness and storage on Linux.
#include "sarang_fw/platform.hpp"

#include <map>
#include <random>

namespace sarang_fw::host {

class SystemClock : public Clock {
  public:
    std::uint64_t monotonic_ms() override;
    std::int64_t epoch_ms() override;
};

class SystemRandom : public Random {
  public:
    SystemRandom();
    std::uint32_t next() override { return engine_(); }
    // A number in [0, 1).
    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

  private:
    std::mt19937 engine_;
};

// Storage in memory; the owner persists it (sarang-sim's state file, the probe's config).
class MemoryStore : public KeyValueStore {
  public:
    std::optional<std::string> get(const std::string& key) override;
    bool put(const std::string& key, const std::string& value) override;
    bool erase(const std::string& key) override;
    // Counts every change, so the owner knows when to persist.
    std::uint64_t version() const { return version_; }

  private:
    std::map<std::string, std::string> values_;
    std::uint64_t version_ = 0;
};

} // namespace sarang_fw::host
