// A user's WhatsApp notifications (/api/whatsapp/recipients, test, block): who receives them,
// whether they are blocked, in which language. Per user; nothing here calls GOWA (the test
// message goes through the outbox like every notification).
#include "auth/caller.hpp"
#include "auth/throttle.hpp"
#include "handlers.hpp"
#include "handlers/whatsapp_common.hpp"
#include "http_error.hpp"
#include "json_body.hpp"

namespace sarang::http {
namespace {

using whatsapp::ok;
using whatsapp::recipients_of;
using whatsapp::required_phone;
using whatsapp::valid_phone;

constexpr long long max_recipients = 10;

LockoutRule test_messages_rule() {
    LockoutRule rule;
    rule.lock_after = 10;
    rule.base = std::chrono::seconds(3600);
    rule.max = std::chrono::seconds(3600);
    rule.forget_after = std::chrono::seconds(3600);
    return rule;
}

Response list_recipients(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    DbPool::Lease db = services.db.acquire();
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "recipients", recipients_of(*db, caller.user_id));
    return ok(std::move(reply));
}

Response add_recipient(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
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
    const UserCaller& caller = request.user();
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
    const UserCaller& caller = request.user();
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
    const UserCaller& caller = request.user();
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

} // namespace

void add_whatsapp_recipient_routes(Router& router, Services& services) {
    router.add("GET", "/api/whatsapp/recipients", Access::user(), bound(services, list_recipients));
    router.add("POST", "/api/whatsapp/recipients", Access::user(), bound(services, add_recipient));
    router.add("DELETE", "/api/whatsapp/recipients/{phone}", Access::user(),
               bound(services, remove_recipient));
    router.add("POST", "/api/whatsapp/test", Access::user(), bound(services, send_test));
    router.add("POST", "/api/whatsapp/block", Access::user(), bound(services, block));
}

} // namespace sarang::http
