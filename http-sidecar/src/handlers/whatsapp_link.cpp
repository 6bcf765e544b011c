// The installation's WhatsApp link (/api/whatsapp/status, pairing-code, logout, reconnect,
// groups): the calls that go to GOWA. Pairing, logout, reconnect and groups are for admins.
// isPaired becomes true only when GOWA's device list shows the session, never on a pairing code
// alone (the seed's own rule).
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "handlers/whatsapp_common.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

using whatsapp::ok;
using whatsapp::recipients_of;
using whatsapp::required_phone;

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

Response status(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
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

Response unlink(Services& services, const Request&, bool logout) {
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

Response groups(Services& services, const Request&) {
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

void add_whatsapp_link_routes(Router& router, Services& services) {
    constexpr Access link_admin =
        Access::admin("only an administrator can manage the WhatsApp link");
    // Every route here waits on GOWA: slow lane.
    router.add("GET", "/api/whatsapp/status", Access::user(), bound(services, status), Lane::slow);
    router.add("POST", "/api/whatsapp/pairing-code", link_admin, bound(services, pairing_code),
               Lane::slow);
    router.add(
        "POST", "/api/whatsapp/logout", link_admin,
        [&services](const Request& request) { return unlink(services, request, true); },
        Lane::slow);
    router.add(
        "POST", "/api/whatsapp/reconnect", link_admin,
        [&services](const Request& request) { return unlink(services, request, false); },
        Lane::slow);
    router.add("GET", "/api/whatsapp/groups", link_admin, bound(services, groups), Lane::slow);
}

} // namespace sarang::http
