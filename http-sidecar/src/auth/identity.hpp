#pragma once
// The callers a route's access rule admits (access.hpp), as the router hands them to handlers.
#include "sarang/device_kinds.hpp"

#include <string>

namespace sarang::http {

struct UserCaller {
    long long user_id = 0;
    std::string username;
    std::string role;
    long long session_row = 0;
    std::string session_id; // the public uuid
    std::string scope;      // full or setup
    bool require_password_change = false;
    bool is_first_login = false;
    std::string created_at, expires_at, last_activity; // ISO 8601
    bool admin() const { return role == "admin"; }
};

struct DeviceCaller {
    std::string id, name, kind, topic_prefix, state;
};

struct VisibleDevice {
    std::string id;
    std::string kind_name;
    const KindSpec* kind = nullptr; // nullptr for a kind this build does not know
};

} // namespace sarang::http
