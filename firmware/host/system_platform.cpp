#include "system_platform.hpp"

#include <chrono>

namespace sarang_fw::host {

std::uint64_t SystemClock::monotonic_ms() {
    using namespace std::chrono;
    return static_cast<std::uint64_t>(
        duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::int64_t SystemClock::epoch_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

SystemRandom::SystemRandom() : engine_(std::random_device{}()) {}

std::optional<std::string> MemoryStore::get(const std::string& key) {
    auto found = values_.find(key);
    if (found == values_.end())
        return std::nullopt;
    return found->second;
}

bool MemoryStore::put(const std::string& key, const std::string& value) {
    values_[key] = value;
    ++version_;
    return true;
}

bool MemoryStore::erase(const std::string& key) {
    if (values_.erase(key) > 0)
        ++version_;
    return true;
}

} // namespace sarang_fw::host
