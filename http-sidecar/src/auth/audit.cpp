#include "audit.hpp"

namespace sarang::http {

void audit(pg::Connection& db, const AuditEntry& entry) {
    db.exec("INSERT INTO audit_log (user_id, username, client_address, action, outcome, detail)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
            {entry.user_id ? std::optional(std::to_string(*entry.user_id)) : std::nullopt,
             entry.username.empty() ? std::nullopt : std::optional(entry.username),
             entry.client_address, entry.action, entry.outcome,
             entry.detail ? std::optional(json::dump(entry.detail.get())) : std::nullopt});
}

} // namespace sarang::http
