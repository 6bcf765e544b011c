#pragma once
// The keys whose value differs between two versions of a snapshot map, or that are gone from
// the newer one: the entries whose live connections need a new look.
#include <vector>

namespace sarang::access {

template <typename Map>
std::vector<typename Map::key_type> changed_keys(const Map& before, const Map& after) {
    std::vector<typename Map::key_type> changed;
    for (const auto& [key, old_value] : before) {
        auto now = after.find(key);
        if (now == after.end() || !(now->second == old_value))
            changed.push_back(key);
    }
    return changed;
}

} // namespace sarang::access
