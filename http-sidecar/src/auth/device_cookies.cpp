#include "auth/device_cookies.hpp"

#include "auth/device_cookie_token.hpp"
#include "sarang/log.hpp"

namespace sarang::http {
namespace {

constexpr int cookies_per_user = 20;

std::string ttl_days(const Services& services) {
    return std::to_string(services.auth.device_cookie_ttl.count());
}

} // namespace

std::optional<TrustedDevice> trusted_device(Services& services, const Request& request,
                                            long long user_id) {
    std::optional<std::string> token;
    if (const std::string* header = request.header(device_cookie_header))
        token = *header;
    else if (const std::string* cookies = request.header("cookie"))
        token = cookie_value(*cookies, device_cookie_name);
    if (!token)
        return std::nullopt;
    std::optional<DeviceCookie> cookie =
        verify_device_cookie(device_cookie_key(services.pepper), *token);
    if (!cookie || cookie->user_id != user_id)
        return std::nullopt; // forged, or another user's: just an untrusted client
    DbPool::Lease db = services.db.acquire();
    pg::Result row =
        db->exec("SELECT id FROM device_cookies WHERE nonce_hash = decode($1, 'hex')"
                 " AND user_id = $2 AND last_used_at > now() - $3::bigint * interval '1 day'",
                 {crypto::hex_encode(device_cookie_nonce_hash(cookie->nonce)),
                  std::to_string(user_id), ttl_days(services)});
    if (row.rows() != 1)
        return std::nullopt;
    long long id = row.integer(0, 0);
    // A cookie that guessed wrong too often is locked; OWASP: treat its client as untrusted.
    if (current_lockout(*db, {device_cookie_throttle_key(services, id)}))
        return std::nullopt;
    return TrustedDevice{id, std::move(*token)};
}

ThrottleKey device_cookie_throttle_key(const Services& services, long long cookie_id) {
    return {"login-cookie", std::to_string(cookie_id), services.auth.account};
}

std::string remember_device(pg::Connection& db, const Services& services, long long user_id,
                            const std::optional<TrustedDevice>& used) {
    if (used) {
        db.exec("UPDATE device_cookies SET last_used_at = now() WHERE id = $1",
                {std::to_string(used->id)});
        return used->token;
    }
    DeviceCookie issued;
    std::string token = issue_device_cookie(device_cookie_key(services.pepper), user_id, &issued);
    db.exec("INSERT INTO device_cookies (user_id, nonce_hash) VALUES ($1, decode($2, 'hex'))",
            {std::to_string(user_id), crypto::hex_encode(device_cookie_nonce_hash(issued.nonce))});
    db.exec("DELETE FROM device_cookies WHERE user_id = $1"
            " AND (last_used_at <= now() - $2::bigint * interval '1 day' OR id IN"
            " (SELECT id FROM device_cookies WHERE user_id = $1"
            "  ORDER BY last_used_at DESC, id DESC OFFSET $3))",
            {std::to_string(user_id), ttl_days(services), std::to_string(cookies_per_user)});
    return token;
}

} // namespace sarang::http
