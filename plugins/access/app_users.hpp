#pragma once
// App users as the broker sees them: a username and the hashes of its live REST sessions. A
// session token used as MQTT password gives read-only access to the topics of the devices the
// user owns. Broker thread only, like the device snapshot.
#include "device_snapshot.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sarang::access {

struct AppSession {
    crypto::Digest token_hash{};
    WallClock::time_point expires_at{};
    bool operator==(const AppSession&) const = default;
};

struct AppUser {
    long long id = 0;
    std::string username;
    std::vector<AppSession> sessions; // live ones only: not revoked when loaded
    bool admin = false;               // reads every device's topics, not only its own
    bool operator==(const AppUser&) const = default;
};

// True when `presented` is one of the user's sessions and it has not expired. Compares against
// every session in constant time.
bool app_session_valid(const AppUser* user, const crypto::Digest& presented,
                       WallClock::time_point now);

class AppUserSnapshot {
  public:
    const AppUser* find(std::string_view username) const;
    const AppUser* find(long long id) const;
    // Both return the ids of users whose sessions changed or vanished.
    std::vector<long long> replace_all(std::vector<AppUser> users);
    std::vector<long long> update(long long id, std::optional<AppUser> user);
    std::size_t size() const { return by_id_.size(); }

  private:
    std::unordered_map<long long, AppUser> by_id_;
    std::unordered_map<std::string, long long> id_by_name_;
};

} // namespace sarang::access
