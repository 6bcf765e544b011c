#include "sarang_fw/kinds.hpp"

namespace sarang_fw {
namespace {

constexpr std::array<KindInfo, 6> kinds = {{
    {"vending", "vm", {"command", "config", ""}},
    {"parcel-box", "smartparcel", {"control", "settings/set", ""}},
    {"door-lock", "smartparcel", {"control", "settings", "pin/verdict"}},
    {"env-sensor", "home", {"command", "config", ""}},
    {"hydro-sensor", "hydro", {"config", "", ""}},
    {"relay", "relay", {"command", "", ""}},
}};

} // namespace

const KindInfo* find_kind(std::string_view name) {
    for (const KindInfo& kind : kinds) {
        if (kind.name == name)
            return &kind;
    }
    return nullptr;
}

std::span<const KindInfo> all_kinds() {
    return kinds;
}

std::string default_prefix(const KindInfo& kind, std::string_view device_id) {
    return topic(kind.prefix_root, device_id);
}

std::string topic(std::string_view prefix, std::string_view subtopic) {
    std::string out(prefix);
    out.push_back('/');
    out.append(subtopic);
    return out;
}

std::string_view subtopic_of(std::string_view full, std::string_view prefix) {
    if (full.size() <= prefix.size() + 1 || !full.starts_with(prefix) || full[prefix.size()] != '/')
        return {};
    return full.substr(prefix.size() + 1);
}

std::string claim_request_topic(std::string_view client_id) {
    return "sarang/provision/" + std::string(client_id) + "/request";
}

std::string claim_response_topic(std::string_view client_id) {
    return "sarang/provision/" + std::string(client_id) + "/response";
}

} // namespace sarang_fw
