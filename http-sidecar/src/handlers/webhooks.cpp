// Per-user webhooks (GET/POST /api/v1/webhooks, DELETE /api/v1/webhooks/{id}) and the
// notification history with each delivery's state (GET /api/v1/notifications).
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "notify/messages.hpp"
#include "time_text.hpp"

#include <algorithm>

namespace sarang::http {
namespace {

json::Ptr text(std::string_view value) {
    return json::own(json_stringn(value.data(), value.size()));
}

Response list_webhooks(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("SELECT id, url, " + iso8601_sql("created_at") +
                            " FROM webhooks WHERE user_id = $1 ORDER BY id",
                        {std::to_string(caller.user_id)});
    }();
    json::Ptr list = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        json::Ptr hook = json::own(json_object());
        json::set(hook.get(), "id", json::own(json_integer(rows.integer(row, 0))));
        json::set(hook.get(), "url", text(rows.text(row, 1)));
        json::set(hook.get(), "createdAt", text(rows.text(row, 2)));
        json::append(list.get(), std::move(hook));
    }
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "webhooks", std::move(list));
    return json_response(200, reply.get());
}

Response add_webhook(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string url = required_string(body.get(), "url");
    std::string_view rest = url.starts_with("https://")  ? std::string_view(url).substr(8)
                            : url.starts_with("http://") ? std::string_view(url).substr(7)
                                                         : std::string_view();
    bool printable =
        std::all_of(url.begin(), url.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
    if (url.size() > 2000 || rest.empty() || rest.front() == '/' || !printable)
        fail_validation("url", "must be an http:// or https:// URL with a host and no spaces");
    DbPool::Lease db = services.db.acquire();
    pg::Result created = db->exec("INSERT INTO webhooks (user_id, url) VALUES ($1, $2)"
                                  " ON CONFLICT DO NOTHING RETURNING id",
                                  {std::to_string(caller.user_id), url});
    if (created.rows() != 1)
        throw HttpError(409, "duplicate_webhook", "that URL is already one of your webhooks");
    long long id = created.integer(0, 0);
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "id", json::own(json_integer(id)));
    json::set(reply.get(), "url", json::own(json_string(url.c_str())));
    // Derived from the pepper, never stored: shown here, recomputed when signing.
    json::set(reply.get(), "secret",
              json::own(json_string(webhook_secret(services.pepper, id).c_str())));
    json::set(reply.get(), "signatureHeader", json::own(json_string("X-Sarang-Signature")));
    return json_response(201, reply.get());
}

Response delete_webhook(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    const std::string& id = *request.param("id");
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
        throw HttpError(404, "not_found", "no such webhook");
    DbPool::Lease db = services.db.acquire();
    if (db->exec("DELETE FROM webhooks WHERE id = $1::bigint AND user_id = $2",
                 {id, std::to_string(caller.user_id)})
            .affected() != 1)
        throw HttpError(404, "not_found", "no such webhook");
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "success", json::own(json_true()));
    return json_response(200, reply.get());
}

Response list_notifications(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec(
            "SELECT n.id, n.kind, n.device_id, n.data::text, " + iso8601_sql("n.created_at") +
                ", coalesce((SELECT json_agg(json_build_object('channel', d.channel, 'target',"
                " d.target, 'state', d.state, 'attempts', d.attempts, 'lastError', d.last_error)"
                " ORDER BY d.id) FROM notification_deliveries d WHERE d.notification_id = n.id),"
                " '[]')::text"
                " FROM notifications n WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT 100",
            {std::to_string(caller.user_id)});
    }();
    json::Ptr list = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row) {
        std::string error;
        json::Ptr item = json::own(json_object());
        json::set(item.get(), "id", json::own(json_integer(rows.integer(row, 0))));
        json::set(item.get(), "kind", text(rows.text(row, 1)));
        json::set(item.get(), "deviceId",
                  rows.is_null(row, 2) ? json::own(json_null()) : text(rows.text(row, 2)));
        json::Ptr data = json::parse(rows.text(row, 3), error);
        json::set(item.get(), "data", data ? std::move(data) : json::own(json_object()));
        json::set(item.get(), "createdAt", text(rows.text(row, 4)));
        json::Ptr deliveries = json::parse(rows.text(row, 5), error);
        json::set(item.get(), "deliveries",
                  deliveries ? std::move(deliveries) : json::own(json_array()));
        json::append(list.get(), std::move(item));
    }
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "notifications", std::move(list));
    return json_response(200, reply.get());
}

} // namespace

void add_webhook_routes(Router& router, Services& services) {
    router.add("GET", "/api/v1/webhooks", Access::user(), bound(services, list_webhooks));
    router.add("POST", "/api/v1/webhooks", Access::user(), bound(services, add_webhook));
    router.add("DELETE", "/api/v1/webhooks/{id}", Access::user(), bound(services, delete_webhook));
    router.add("GET", "/api/v1/notifications", Access::user(), bound(services, list_notifications));
}

} // namespace sarang::http
