// A user's WhatsApp notifications (/api/whatsapp/recipients, test, block): who receives them,
// whether they are blocked, in which language. Per user; nothing here calls GOWA (the test
// message and the verification codes go through the outbox like every notification).
//
// A number must prove it wants the messages before it gets any: adding it sends it a six-digit
// code (and nothing else), which the user confirms with POST .../{phone}/verify. The code is
// derived from a random nonce (notify/messages.hpp), valid for 10 minutes and 5 tries; adding
// the number again sends a new one. Only verified numbers receive notifications (the fan-out
// trigger, sql/0014).
#include "auth/caller.hpp"
#include "auth/throttle.hpp"
#include "handlers.hpp"
#include "handlers/whatsapp_common.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "notify/messages.hpp"
#include "sarang/crypto.hpp"

#include <algorithm>
#include <cctype>

namespace sarang::http {
namespace {

using whatsapp::ok;
using whatsapp::recipients_of;
using whatsapp::required_phone;
using whatsapp::unverified_of;
using whatsapp::valid_phone;

constexpr long long max_recipients = 10;
constexpr int code_tries = 5;
constexpr const char* code_lifetime = "10 minutes";

// Every call counts, admitted and counted in one transaction (a burst cannot pass together).
void admit(Services& services, const std::vector<ThrottleKey>& keys, const char* what) {
    DbPool::Lease db = services.db.acquire();
    Attempt attempt = admit_attempt(*db, keys);
    if (attempt.refused)
        throw HttpError(lockout_response(*attempt.refused, what));
}

json::Ptr recipients_reply(pg::Connection& db, long long user_id) {
    json::Ptr reply = json::own(json_object());
    json::set(reply.get(), "recipients", recipients_of(db, user_id));
    json::set(reply.get(), "unverified", unverified_of(db, user_id));
    return reply;
}

// A fresh code for an unverified recipient (the previous one stops working) and the
// notification that carries its nonce to that number alone.
void send_code(pg::Connection& db, long long user_id, const std::string& phone) {
    std::vector<std::uint8_t> random = crypto::random_bytes(16);
    std::string nonce = crypto::hex_encode(random.data(), random.size());
    std::string user = std::to_string(user_id);
    json::Ptr data = json::own(json_object());
    json::set(data.get(), "phone", json::own(json_string(phone.c_str())));
    json::set(data.get(), "nonce", json::own(json_string(nonce.c_str())));
    pg::Transaction transaction(db);
    db.exec("UPDATE whatsapp_recipients SET code_nonce = $3,"
            " code_expires_at = now() + $4::interval, code_attempts = 0"
            " WHERE user_id = $1 AND phone = $2 AND verified_at IS NULL",
            {user, phone, nonce, code_lifetime});
    db.exec("INSERT INTO notifications (user_id, kind, data)"
            " VALUES ($1, 'whatsapp_verification', $2::jsonb)",
            {user, json::dump(data.get())});
    transaction.commit();
}

Response list_recipients(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    DbPool::Lease db = services.db.acquire();
    return ok(recipients_reply(*db, caller.user_id));
}

Response add_recipient(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = json_object_body(request);
    std::string phone = required_phone(body.get());
    std::string user = std::to_string(caller.user_id);
    // Each call may message a number that never asked for it: a few an hour per user, and per
    // number whoever asks (many accounts cannot flood one number with codes).
    admit(services,
          {{"whatsapp-code", user, per_hour(20)}, {"whatsapp-code-phone", phone, per_hour(5)}},
          "verification codes");
    DbPool::Lease db = services.db.acquire();
    pg::Result existing = db->exec("SELECT verified_at IS NOT NULL FROM whatsapp_recipients"
                                   " WHERE user_id = $1 AND phone = $2",
                                   {user, phone});
    if (existing.rows() == 1 && existing.boolean(0, 0))
        throw HttpError(409, "duplicate_recipient", "that phone number is already a recipient");
    if (existing.rows() == 0) {
        if (db->exec("SELECT count(*) FROM whatsapp_recipients WHERE user_id = $1", {user})
                .integer(0, 0) >= max_recipients)
            fail_validation("phone", "cannot be added: at most " + std::to_string(max_recipients) +
                                         " recipients per account");
        db->exec("INSERT INTO whatsapp_recipients (user_id, phone) VALUES ($1, $2)"
                 " ON CONFLICT DO NOTHING",
                 {user, phone});
    }
    send_code(*db, caller.user_id, phone); // an unverified number added again: a new code
    json::Ptr reply = recipients_reply(*db, caller.user_id);
    json::set(reply.get(), "message",
              json::own(json_string(("A verification code was sent to " + phone +
                                     "; confirm it to receive notifications")
                                        .c_str())));
    return ok(std::move(reply));
}

bool six_digits(const std::string& code) {
    return code.size() == 6 &&
           std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isdigit(c); });
}

// {"code": "123456"}: the code the number received. A try is counted before it is compared
// (one statement), so parallel guesses share the 5 tries.
Response verify_recipient(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    const std::string& phone = *request.param("phone");
    if (!valid_phone(phone))
        throw HttpError(404, "not_found", "no such recipient");
    json::Ptr body = json_object_body(request);
    std::string code = required_string(body.get(), "code");
    if (!six_digits(code))
        fail_validation("code", "must be the 6 digits sent to the number");
    std::string user = std::to_string(caller.user_id);
    DbPool::Lease db = services.db.acquire();
    pg::Result tried = db->exec(
        "UPDATE whatsapp_recipients SET code_attempts = code_attempts + 1"
        " WHERE user_id = $1 AND phone = $2 AND verified_at IS NULL AND code_nonce IS NOT NULL"
        " AND code_expires_at > now() AND code_attempts < $3::int"
        " RETURNING code_nonce, code_attempts",
        {user, phone, std::to_string(code_tries)});
    if (tried.rows() != 1) {
        pg::Result state = db->exec(
            "SELECT verified_at IS NOT NULL, code_nonce IS NULL OR code_expires_at <= now()"
            " FROM whatsapp_recipients WHERE user_id = $1 AND phone = $2",
            {user, phone});
        if (state.rows() != 1)
            throw HttpError(404, "not_found", "no such recipient");
        if (state.boolean(0, 0))
            return ok(recipients_reply(*db, caller.user_id)); // already verified: nothing to do
        if (state.boolean(0, 1))
            throw HttpError(410, "code_expired",
                            "the code expired; add the number again to get a new one");
        throw HttpError(429, "too_many_attempts",
                        "too many wrong codes; add the number again to get a new one");
    }
    std::string nonce(tried.text(0, 0));
    std::string expected = whatsapp_verification_code(services.pepper, phone, nonce);
    if (!crypto::constant_time_equal(expected, code)) {
        json::Ptr error = error_object("invalid_code", "that is not the code sent to " + phone);
        json::set(error.get(), "field", json::own(json_string("code")));
        json::set(error.get(), "remainingAttempts",
                  json::own(json_integer(code_tries - tried.integer(0, 1))));
        throw HttpError(json_response(422, error.get()));
    }
    db->exec("UPDATE whatsapp_recipients SET verified_at = now(), code_nonce = NULL,"
             " code_expires_at = NULL WHERE user_id = $1 AND phone = $2 AND code_nonce = $3",
             {user, phone, nonce});
    return ok(recipients_reply(*db, caller.user_id));
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
    return ok(recipients_reply(*db, caller.user_id));
}

// Goes through the outbox like every notification: to the caller's recipients (or the one
// named, which must be a verified recipient: the API is not a relay to arbitrary numbers).
Response send_test(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    json::Ptr body = request.body.empty() ? json::own(json_object()) : json_object_body(request);
    std::optional<std::string> phone = optional_string(body.get(), "phone");
    std::optional<std::string> message = optional_string(body.get(), "message");
    if (message && message->size() > 1000)
        fail_validation("message", "must be at most 1000 characters");
    // The installation's WhatsApp number must not become a bulk sender: a few tests an hour.
    admit(services, {{"whatsapp-test", std::to_string(caller.user_id), per_hour(10)}},
          "test messages");
    DbPool::Lease db = services.db.acquire();
    std::string user = std::to_string(caller.user_id);
    if (phone && db->exec("SELECT 1 FROM whatsapp_recipients WHERE user_id = $1 AND phone = $2"
                          " AND verified_at IS NOT NULL",
                          {user, *phone})
                         .rows() != 1)
        fail_validation("phone", "is not one of your verified recipients; add and verify it first");
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
    router.add("POST", "/api/whatsapp/recipients/{phone}/verify", Access::user(),
               bound(services, verify_recipient));
    router.add("POST", "/api/whatsapp/test", Access::user(), bound(services, send_test));
    router.add("POST", "/api/whatsapp/block", Access::user(), bound(services, block));
}

} // namespace sarang::http
