#include "integrations.hpp"

#include "sarang/device_kinds.hpp"
#include "snapshot_diff.hpp"

namespace sarang::access {

std::string_view integration_name_of(std::string_view username) {
    if (!username.starts_with(integration_username_prefix))
        return {};
    return username.substr(integration_username_prefix.size());
}

bool integration_client_id(std::string_view name, std::string_view client_id) {
    return own_client_id("integration", name, client_id);
}

const Integration* IntegrationSnapshot::find(std::string_view name) const {
    auto found = by_name_.find(std::string(name));
    return found == by_name_.end() ? nullptr : &found->second;
}

std::vector<std::string> IntegrationSnapshot::replace_all(std::vector<Integration> integrations) {
    std::unordered_map<std::string, Integration> next;
    for (Integration& integration : integrations) {
        std::string name = integration.name;
        next.insert_or_assign(std::move(name), std::move(integration));
    }
    std::vector<std::string> changed = changed_keys(by_name_, next);
    by_name_ = std::move(next);
    return changed;
}

} // namespace sarang::access
