// The seed's WhatsApp routes (/api/whatsapp/*). Recipients, blocking and the test message are
// per user; pairing the installation's WhatsApp account with GOWA is for admins. isPaired
// becomes true only when GOWA's device list shows the session, never on a pairing code alone
// (the seed's own rule).
#include "auth/caller.hpp"
#include "auth/throttle.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "time_text.hpp"

#include <algorithm>
#include <cctype>

namespace sarang::http {
namespace {

constexpr long long max_recipients = 10;

LockoutRule test_messages_rule() {
    LockoutRule rule;
    rule.lock_after = 10;
    rule.base = std::chrono::seconds(3600);
    rule.max = std::chrono::seconds(3600);
    rule.forget_after = std::chrono::seconds(3600);
    return rule;
}

bool valid_phone(const std::string& phone) {
    return phone.size() >= 8 && phone.size() <= 15 &&
           std::all_of(phone.begin(), phone.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string required_phone(const json_t* body) {
    std::string phone = required_string(body, "phone");
    if (!valid_phone(phone))
        fail_validation("phone", "must be 8 to 15 digits, country code first (6281234567890)");
    return phone;
}

void require_admin(const UserCaller& caller) {
    if (!caller.admin())
        throw HttpError(403, "forbidden", "only an administrator can manage the WhatsApp link");
}

const GowaClient& gowa_or_fail(const Services& services) {
    if (!services.gowa.configured())
        throw HttpError(503, "whatsapp_not_configured",
                        "WhatsApp is not configured: set gowa.base_url in sarang.conf");
    return services.gowa;
}

// GOWA's answer as JSON; 502 when GOWA cannot be reached or answers with an error.
json::Ptr gowa_result(const out::Reply& reply) {
    if (reply.status < 200 || reply.status >= 300)
        throw HttpError(502, "whatsapp_gateway_error",
                        reply.status == 0 ? "GOWA unreachable: " + reply.error
                                          : "GOWA answered HTTP " + std::to_string(reply.status));
    std::string error;
    json::Ptr body = json::parse(reply.body, error);
    if (!body)
        throw HttpError(502, "whatsapp_gateway_error", "GOWA answered something not JSON");
    return body;
}

json::Ptr recipients_of(pg::Connection& db, long long user_id) {
    pg::Result rows = db.exec("SELECT phone FROM whatsapp_recipients WHERE user_id = $1"
                              " ORDER BY created_at, phone",
                              {std::to_string(user_id)});
    json::Ptr list = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(list.get(), json::own(json_string(std::string(rows.text(row, 0)).c_str())));
    return list;
}

Response ok(json::Ptr reply) {
    json::set(reply.get(), "success", json::own(json_true()));
    return json_response(200, reply.get());
}

Response status(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    json::Ptr devices = json::own(json_array());
    bool connected = false;
    if (services.gowa.configured()) {
        out::Reply reply = services.gowa.devices();
        std::string error;
        json::Ptr body = reply.status == 200 ? json::parse(reply.body, error) : nullptr;
        json_t* results = body ? json_object_get(body.get(), "results") : nullptr;
        if (json_is_array(results)) {
            size_t index;
            json_t* device;
            json_array_foreach(results, index, device) {
                json::Ptr entry = json::own(json_object());
                const char* name = json_string_value(json_object_get(device, "name"));
                const char* id = json_string_value(json_object_get(device, "device"));
                json::set(entry.get(), "device", json::own(json_string(id ? id : "")));
                json::set(entry.get(), "name", json::own(json_string(name ? name : "")));
                json::set(entry.get(), "status", json::own(json_string("connected")));
                json::append(devices.get(), std::move(entry));
            }
            connected = json_array_size(results) > 0;
        }
    }
    DbPool::Lease db = services.db.acquire();
    // The device list is the confirmation the seed insists on before calling it paired.
    if (connected) {
        json_t* first = json_array_get(devices.get(), 0);
        db->exec("UPDATE whatsapp_link SET is_paired = true, sender_phone = $1, updated_at = now()"
                 " WHERE NOT is_paired",
                 {std::string(json_string_value(json_object_get(first, "device")))});
    }
    pg::Result link = db->exec("SELECT is_paired FROM whatsapp_link");
    pg::Result prefs = db->exec("SELECT is_blocked AND (blocked_until IS NULL OR blocked_until >"
                                " now()), " +
                                    iso8601_sql("blocked_until") +
                                    ", language FROM notification_preferences WHERE user_id = $1",
                                {std::to_string(caller.user_id)});
    json::Ptr config = json::own(json_object());
    json::set(config.get(), "isPaired", json::own(json_boolean(link.boolean(0, 0))));
    json::set(config.get(), "recipients", recipients_of(*db, caller.user_id));
    bool blocked = prefs.rows() == 1 && prefs.boolean(0, 0);
    json::set(config.get(), "isBlocked", json::own(json_boolean(blocked)));
    json::set(config.get(), "blockedUntil",
              blocked && !prefs.is_null(0, 1)
                  ? json::own(json_string(std::string(prefs.text(0, 1)).c_str()))
                  : json::own(json_null()));
    json::set(
        config.get(), "language",
        json::own(json_string(prefs.rows() == 1 ? std::string(prefs.text(0, 2)).c_str() : "id")));
    json::Ptr state = json::own(json_object());
    json::set(state.get(), "isConnected", json::own(json_boolean(connected)));
    // The installation's own WhatsApp number is the administrators' business.
    json::set(state.get(), "devices",
              caller.admin() ? std::move(devices) : json::own(json_array()));
    json::set(state.get(), "config", std::move(config));
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "status", std::move(state));
    return ok(std::move(reply));
}

Response pairing_code(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    require_admin(caller);
    json::Ptr body = json_object_body(request);
    std::string phone = required_phone(body.get());
    json::Ptr answer = gowa_result(gowa_or_fail(services).login_with_code(phone));
    const char* code =
        json_string_value(json_object_get(json_object_get(answer.get(), "results"), "pair_code"));
    if (code == nullptr)
        throw HttpError(502, "whatsapp_gateway_error", "GOWA gave no pairing code");
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "pairCode", json::own(json_string(code)));
    json::set(reply.get(), "message",
              json::own(json_string("Pairing code generated. Enter this code in WhatsApp "
                                    "settings.")));
    return ok(std::move(reply));
}

Response unlink(Services& services, const Request& request, bool logout) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    require_admin(caller);
    const GowaClient& gowa = gowa_or_fail(services);
    gowa_result(logout ? gowa.logout() : gowa.reconnect());
    if (logout) {
        DbPool::Lease db = services.db.acquire();
        db->exec("UPDATE whatsapp_link SET is_paired = false, sender_phone = NULL,"
                 " updated_at = now()");
    }
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "message",
              json::own(json_string(logout ? "Logged out from WhatsApp" : "Reconnected")));
    return ok(std::move(reply));
}

Response list_recipients(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    DbPool::Lease db = services.db.acquire();
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "recipients", recipients_of(*db, caller.user_id));
    return ok(std::move(reply));
}

Response add_recipient(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    json::Ptr body = json_object_body(request);
    std::string phone = required_phone(body.get());
    DbPool::Lease db = services.db.acquire();
    if (db->exec("SELECT count(*) FROM whatsapp_recipients WHERE user_id = $1",
                 {std::to_string(caller.user_id)})
            .integer(0, 0) >= max_recipients)
        fail_validation("phone", "cannot be added: at most " + std::to_string(max_recipients) +
                                     " recipients per account");
    if (db->exec("INSERT INTO whatsapp_recipients (user_id, phone) VALUES ($1, $2)"
                 " ON CONFLICT DO NOTHING",
                 {std::to_string(caller.user_id), phone})
            .affected() != 1)
        throw HttpError(409, "duplicate_recipient", "that phone number is already a recipient");
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "recipients", recipients_of(*db, caller.user_id));
    return ok(std::move(reply));
}

Response remove_recipient(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    const std::string& phone = *request.param("phone");
    DbPool::Lease db = services.db.acquire();
    if (!valid_phone(phone) ||
        db->exec("DELETE FROM whatsapp_recipients WHERE user_id = $1 AND phone = $2",
                 {std::to_string(caller.user_id), phone})
                .affected() != 1)
        throw HttpError(404, "not_found", "no such recipient");
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "recipients", recipients_of(*db, caller.user_id));
    return ok(std::move(reply));
}

// Goes through the outbox like every notification: to the caller's recipients (or the one
// named, which must be a recipient: the API is not a relay to arbitrary numbers).
Response send_test(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    json::Ptr body = request.body.empty() ? json::own(json_object()) : json_object_body(request);
    std::optional<std::string> phone = optional_string(body.get(), "phone");
    std::optional<std::string> message = optional_string(body.get(), "message");
    if (message && message->size() > 1000)
        fail_validation("message", "must be at most 1000 characters");
    DbPool::Lease db = services.db.acquire();
    std::string user = std::to_string(caller.user_id);
    // The installation's WhatsApp number must not become a bulk sender: a few tests an hour.
    std::vector<ThrottleKey> keys = {{"whatsapp-test", user, test_messages_rule()}};
    if (auto locked = current_lockout(*db, keys))
        throw HttpError(lockout_response(*locked, "test messages"));
    {
        pg::Transaction counting(*db);
        record_failure(*db, keys);
        counting.commit();
    }
    if (phone && db->exec("SELECT 1 FROM whatsapp_recipients WHERE user_id = $1 AND phone = $2",
                          {user, *phone})
                         .rows() != 1)
        fail_validation("phone", "is not one of your recipients; add it first");
    json::Ptr data = json::own(json_object());
    if (message)
        json::set(data.get(), "message", json::own(json_string(message->c_str())));
    pg::Transaction transaction(*db);
    pg::Result created = db->exec("INSERT INTO notifications (user_id, kind, data)"
                                  " VALUES ($1, 'test', $2::jsonb) RETURNING id",
                                  {user, json::dump(data.get())});
    std::string id(created.text(0, 0));
    if (phone) // only the named recipient: drop the others' deliveries before anyone sends
        db->exec("DELETE FROM notification_deliveries WHERE notification_id = $1"
                 " AND channel = 'whatsapp' AND target <> $2",
                 {id, *phone});
    long long deliveries =
        db->exec("SELECT count(*) FROM notification_deliveries WHERE notification_id = $1"
                 " AND channel = 'whatsapp'",
                 {id})
            .integer(0, 0);
    transaction.commit();
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "notificationId", json::own(json_integer(std::stoll(id))));
    json::set(reply.get(), "deliveries", json::own(json_integer(deliveries)));
    json::set(reply.get(), "message", json::own(json_string("Test message queued")));
    return ok(std::move(reply));
}

// {"blocked": bool, "minutes": n} blocks (for n minutes, or until unblocked); {"language":
// "id"|"en"} picks the captions' language. Either or both; what is left out stays as it was.
Response block(Services& services, const Request& request) {
    UserCaller caller = require_user(services, request, SessionScope::full_only);
    json::Ptr body = json_object_body(request);
    const json_t* blocked = json_object_get(body.get(), "blocked");
    const json_t* minutes = json_object_get(body.get(), "minutes");
    std::optional<std::string> language = optional_string(body.get(), "language");
    if (blocked && !json_is_boolean(blocked))
        fail_validation("blocked", "must be true or false");
    if (!blocked && !language)
        fail_validation("blocked", "is required (or language)");
    if (minutes && !json_is_null(minutes) &&
        (!json_is_integer(minutes) || json_integer_value(minutes) < 1 ||
         json_integer_value(minutes) > 525600))
        fail_validation("minutes", "must be a whole number of minutes from 1 to 525600");
    if (language && *language != "id" && *language != "en")
        fail_validation("language", "must be id or en");
    std::optional<std::string> block_flag;
    if (blocked)
        block_flag = json_is_true(blocked) ? "true" : "false";
    std::optional<std::string> block_minutes;
    if (json_is_true(blocked) && json_is_integer(minutes))
        block_minutes = std::to_string(json_integer_value(minutes));
    DbPool::Lease db = services.db.acquire();
    pg::Result saved = db->exec(
        "INSERT INTO notification_preferences (user_id, is_blocked, blocked_until, language)"
        " VALUES ($1, coalesce($2::boolean, false), now() + $3::bigint * interval '1 minute',"
        " coalesce($4, 'id'))"
        " ON CONFLICT (user_id) DO UPDATE SET"
        " is_blocked = coalesce($2::boolean, notification_preferences.is_blocked),"
        " blocked_until = CASE WHEN $2::boolean IS NULL THEN notification_preferences.blocked_until"
        "  ELSE now() + $3::bigint * interval '1 minute' END,"
        " language = coalesce($4, notification_preferences.language), updated_at = now()"
        " RETURNING is_blocked, language",
        {std::to_string(caller.user_id), block_flag, block_minutes, language});
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "blocked", json::own(json_boolean(saved.boolean(0, 0))));
    json::set(reply.get(), "language",
              json::own(json_string(std::string(saved.text(0, 1)).c_str())));
    return ok(std::move(reply));
}

Response groups(Services& services, const Request& request) {
    require_admin(require_user(services, request, SessionScope::full_only));
    json::Ptr answer = gowa_result(gowa_or_fail(services).groups());
    json::Ptr list = json::own(json_array());
    json_t* found = json_object_get(json_object_get(answer.get(), "results"), "data");
    size_t index;
    json_t* group;
    json_array_foreach(found, index, group) {
        const char* id = json_string_value(json_object_get(group, "JID"));
        const char* name = json_string_value(json_object_get(group, "Name"));
        json::Ptr entry = json::own(json_object());
        json::set(entry.get(), "id", json::own(json_string(id ? id : "")));
        json::set(entry.get(), "name", json::own(json_string(name ? name : "")));
        json::set(entry.get(), "subject", json::own(json_string(name ? name : "")));
        json::append(list.get(), std::move(entry));
    }
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "groups", std::move(list));
    return ok(std::move(reply));
}

} // namespace

void add_whatsapp_routes(Router& router, Services& services) {
    auto bind = [&services](Response (*handler)(Services&, const Request&)) {
        return [&services, handler](const Request& request) { return handler(services, request); };
    };
    // Routes that call GOWA wait on the network: slow lane.
    router.add("GET", "/api/whatsapp/status", bind(status), Lane::slow);
    router.add("POST", "/api/whatsapp/pairing-code", bind(pairing_code), Lane::slow);
    router.add(
        "POST", "/api/whatsapp/logout",
        [&services](const Request& request) { return unlink(services, request, true); },
        Lane::slow);
    router.add(
        "POST", "/api/whatsapp/reconnect",
        [&services](const Request& request) { return unlink(services, request, false); },
        Lane::slow);
    router.add("GET", "/api/whatsapp/recipients", bind(list_recipients));
    router.add("POST", "/api/whatsapp/recipients", bind(add_recipient));
    router.add("DELETE", "/api/whatsapp/recipients/{phone}", bind(remove_recipient));
    router.add("POST", "/api/whatsapp/test", bind(send_test));
    router.add("POST", "/api/whatsapp/block", bind(block));
    router.add("GET", "/api/whatsapp/groups", bind(groups), Lane::slow);
}

} // namespace sarang::http
