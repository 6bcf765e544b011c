#include "sarang/log_sampler.hpp"

#include <vector>

namespace sarang {

LogSampler::LogSampler(Clock::duration interval, std::size_t max_keys)
    : interval_(interval), max_keys_(max_keys < 8 ? 8 : max_keys) {}

void LogSampler::make_room(Clock::time_point now) {
    // Quiet keys first; a flood of distinct keys (many devices at once) clears the table, which
    // at worst logs each key's next occurrence again.
    std::erase_if(entries_, [&](const auto& entry) {
        return entry.second.folded == 0 && now - entry.second.last_logged >= interval_;
    });
    if (entries_.size() > max_keys_ - max_keys_ / 8)
        entries_.clear();
}

std::optional<std::uint64_t> LogSampler::due(std::string_view device, std::string_view reason,
                                             Clock::time_point now) {
    std::string key;
    key.reserve(device.size() + 1 + reason.size());
    key.append(device).push_back('\0');
    key.append(reason);
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) {
        if (entries_.size() >= max_keys_)
            make_room(now);
        entries_.emplace(std::move(key), Entry{now, 0});
        return 0;
    }
    Entry& entry = found->second;
    if (now - entry.last_logged < interval_) {
        ++entry.folded;
        return std::nullopt;
    }
    std::uint64_t folded = entry.folded;
    entry.folded = 0;
    entry.last_logged = now;
    return folded;
}

void LogSampler::flush(
    const std::function<void(const std::string&, const std::string&, std::uint64_t)>& summary,
    Clock::time_point now) {
    struct Due {
        std::string device, reason;
        std::uint64_t folded;
    };
    std::vector<Due> due;
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, entry] : entries_) {
            if (entry.folded == 0 || now - entry.last_logged < interval_)
                continue;
            std::size_t split = key.find('\0');
            due.push_back({key.substr(0, split), key.substr(split + 1), entry.folded});
            entry.folded = 0;
            entry.last_logged = now;
        }
    }
    for (const Due& entry : due) // outside the lock: `summary` logs
        summary(entry.device, entry.reason, entry.folded);
}

std::size_t LogSampler::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

} // namespace sarang
