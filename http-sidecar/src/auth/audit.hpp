#pragma once
// One row in audit_log per authentication decision. Never pass a secret in `detail`.
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>

namespace sarang::http {

struct AuditEntry {
    std::optional<long long> user_id;
    std::string username; // as presented
    std::string client_address;
    std::string action;  // login, verify_pin, change_password, ...
    std::string outcome; // success, failure, locked, denied
    json::Ptr detail;    // may be null
};

void audit(pg::Connection& db, const AuditEntry& entry);

} // namespace sarang::http
