#pragma once
// Integrations as the broker sees them (Telegraf, Node-RED, a data lake): a name, the HMAC of
// its credential and the topic filters it may read. They connect as "integration:<name>"; no
// device id or app username can contain ':', so the namespaces never meet. Broker thread only,
// like the device snapshot; revoked integrations are not loaded at all.
#include "device_snapshot.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sarang::access {

inline constexpr std::string_view integration_username_prefix = "integration:";

struct Integration {
    std::string name;
    crypto::Digest credential_hash{};
    std::vector<std::string> read_filters;
    bool operator==(const Integration&) const = default;
};

// The integration name in "integration:<name>", or an empty view for other usernames.
std::string_view integration_name_of(std::string_view username);

// Its client ids: integration:<name> or integration:<name>:<suffix> (one per instance, e.g. for
// a shared subscription), or one the broker assigns (auto-...). All on the non-device side.
bool integration_client_id(std::string_view name, std::string_view client_id);

class IntegrationSnapshot {
  public:
    const Integration* find(std::string_view name) const;
    // Returns the names whose record changed or vanished: their connections need a new look.
    std::vector<std::string> replace_all(std::vector<Integration> integrations);
    std::size_t size() const { return by_name_.size(); }

  private:
    std::unordered_map<std::string, Integration> by_name_;
};

} // namespace sarang::access
