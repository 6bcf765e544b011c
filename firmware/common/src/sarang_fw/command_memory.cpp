#include "sarang_fw/command_memory.hpp"

namespace sarang_fw {

bool CommandMemory::first_time(const std::string& key) {
    for (const Entry& entry : entries_) {
        if (entry.key == key)
            return false;
    }
    if (capacity_ == 0)
        return true;
    if (entries_.size() == capacity_)
        entries_.pop_front();
    entries_.push_back({key, std::nullopt});
    return true;
}

void CommandMemory::answered(const std::string& key, RememberedAnswer answer) {
    for (Entry& entry : entries_) {
        if (entry.key == key) {
            entry.answer = std::move(answer);
            return;
        }
    }
}

std::optional<RememberedAnswer> CommandMemory::answer_for(const std::string& key) const {
    for (const Entry& entry : entries_) {
        if (entry.key == key)
            return entry.answer;
    }
    return std::nullopt;
}

} // namespace sarang_fw
