// Notifications end to end: the sidecar's outbox worker against a fake GOWA gateway and a fake
// webhook receiver (one FakeHttpServer on SARANG_TEST_AUX_PORT, which with_stack.sh wrote into
// gowa.base_url). Runs with notify.retry_base_ms = 200, gowa.timeout_ms = 1000 and private
// webhooks allowed (the receiver is on loopback). The pairing test runs first: the sending
// tests need the link it pairs.
#include "api_session.hpp"
#include "fake_http_server.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/crypto.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<bool> gateway_has_device{false};
// Faults for /send/* calls, each aimed at one recipient's phone number: a send that another
// test left in flight (an offline alert, a lockout alert) never uses up this test's faults.
struct InjectedFaults {
    std::mutex mutex;
    std::map<std::string, int> failures; // phone -> answer 500 to this many sends
    std::map<std::string, int> stalls;   // phone -> answer after 2.5 s (beyond gowa.timeout_ms)
};
InjectedFaults faults;

void fail_sends_to(const std::string& phone, int count) {
    std::lock_guard lock(faults.mutex);
    faults.failures[phone + "@s.whatsapp.net"] = count;
}
void stall_next_send_to(const std::string& phone) {
    std::lock_guard lock(faults.mutex);
    faults.stalls[phone + "@s.whatsapp.net"] = 1;
}

// Whether a fault of `plan` is aimed at this request's body; uses it up if so.
bool take_fault(std::map<std::string, int>& plan, const std::string& body) {
    std::lock_guard lock(faults.mutex);
    for (auto& [target, left] : plan) {
        if (left > 0 && body.find(target) != std::string::npos) {
            --left;
            return true;
        }
    }
    return false;
}

FakeAnswer gowa(const RecordedRequest& request) {
    if (request.path == "/app/login-with-code")
        return {200, R"({"code":"SUCCESS","results":{"pair_code":"ABCD-1234"}})"};
    if (request.path == "/app/devices")
        return {200,
                gateway_has_device
                    ? R"({"code":"SUCCESS","results":[{"name":"Sarang","device":"6281100000000"}]})"
                    : R"({"code":"SUCCESS","results":[]})"};
    if (request.path == "/user/my/groups")
        return {200,
                R"({"code":"SUCCESS","results":{"data":[{"JID":"1203@g.us","Name":"Parcels"}]}})"};
    if (request.path.starts_with("/send/")) {
        if (take_fault(faults.failures, request.body))
            return {500, R"({"code":"INTERNAL_SERVER_ERROR"})"};
        if (take_fault(faults.stalls, request.body))
            return {200, R"({"code":"SUCCESS"})", 2500ms};
        return {200, R"({"code":"SUCCESS","results":{"message_id":"x"}})"};
    }
    if (request.path == "/hook")
        return {204, ""};
    return {404, R"({"code":"NOT_FOUND"})"};
}

FakeHttpServer& gateway() {
    static FakeHttpServer server(std::atoi(std::getenv("SARANG_TEST_AUX_PORT")), gowa);
    return server;
}

// Requests to `path` whose body contains `needle`.
std::vector<RecordedRequest> sent(const std::string& path, const std::string& needle) {
    std::vector<RecordedRequest> out;
    for (RecordedRequest& request : gateway().requests_to(path)) {
        if (request.body.find(needle) != std::string::npos)
            out.push_back(std::move(request));
    }
    return out;
}

// Waits until every delivery of the notification has left 'pending'/'sending'.
void wait_settled(const std::string& notification_id, std::chrono::milliseconds timeout = 10s) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (db().exec("SELECT count(*) FROM notification_deliveries WHERE notification_id = $1"
                      " AND state IN ('pending', 'sending')",
                      {notification_id})
                .integer(0, 0) == 0)
            return;
        std::this_thread::sleep_for(50ms);
    }
    fail_msg("deliveries of notification %s did not settle", notification_id.c_str());
}

// The state of the delivery selected by `where` once it is no longer 'sending' (or after 5 s).
std::string state_after_sending(const std::string& where, const std::string& value) {
    auto deadline = Clock::now() + 5s;
    std::string state;
    while ((state = db().exec("SELECT state FROM notification_deliveries WHERE " + where, {value})
                        .text(0, 0)) == "sending" &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    return state;
}

std::string user_id(const std::string& username) {
    return std::string(
        db().exec("SELECT id FROM users WHERE username = $1", {username}).text(0, 0));
}

bool is_code(const RecordedRequest& request) {
    return request.body.find("Kode verifikasi Sarang") != std::string::npos ||
           request.body.find("Sarang verification code") != std::string::npos;
}

// Messages to `phone` other than verification codes.
std::vector<RecordedRequest> sent_to(const std::string& phone) {
    std::vector<RecordedRequest> out;
    for (RecordedRequest& request : sent("/send/message", phone + "@s.whatsapp.net")) {
        if (!is_code(request))
            out.push_back(std::move(request));
    }
    return out;
}

// The codes sent to `phone` so far, oldest first.
std::vector<std::string> codes_sent_to(const std::string& phone) {
    std::vector<std::string> codes;
    for (const RecordedRequest& request : sent("/send/message", phone + "@s.whatsapp.net")) {
        if (!is_code(request))
            continue;
        std::string error;
        json::Ptr body = json::parse(request.body, error);
        std::string text = json_string_value(json_object_get(body.get(), "message"));
        std::size_t at = text.find_first_of("0123456789");
        codes.push_back(text.substr(at, 6));
    }
    return codes;
}

// Adds `phone` (which is sent a code) and waits for the code's message.
std::string add_unverified(const AppAccount& account, const std::string& phone) {
    std::size_t before = codes_sent_to(phone).size();
    assert_int_equal(
        api_post("/api/whatsapp/recipients", "{\"phone\":\"" + phone + "\"}", account.token).status,
        200);
    auto deadline = Clock::now() + 10s;
    std::vector<std::string> codes;
    while ((codes = codes_sent_to(phone)).size() == before && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    assert_int_equal(codes.size(), before + 1);
    return codes.back();
}

HttpResult verify(const AppAccount& account, const std::string& phone, const std::string& code) {
    return api_post("/api/whatsapp/recipients/" + phone + "/verify", "{\"code\":\"" + code + "\"}",
                    account.token);
}

// Adds `phone` and confirms the code the fake gateway recorded: a recipient that receives.
void add_recipient(const AppAccount& account, const std::string& phone) {
    std::string code = add_unverified(account, phone);
    assert_int_equal(verify(account, phone, code).status, 200);
}

const AppAccount& admin() {
    static AppAccount account = create_account(unique_id("wa-admin"), "admin");
    return account;
}

void pairing_counts_only_after_the_device_list_confirms(void**) {
    gateway();
    HttpResult code =
        api_post("/api/whatsapp/pairing-code", R"({"phone":"6281100000000"})", admin().token);
    assert_int_equal(code.status, 200);
    assert_text_equal(json_field(code.body, "pairCode"), "ABCD-1234");
    assert_int_equal(gateway().requests_to("/app/login-with-code").back().query.at("phone").size(),
                     13);
    // A code alone is not a pairing (the seed's own rule).
    HttpResult before = api_get("/api/whatsapp/status", admin().token);
    assert_int_equal(before.status, 200);
    assert_non_null(std::strstr(before.body.c_str(), R"("isPaired":false)"));
    assert_non_null(std::strstr(before.body.c_str(), R"("isConnected":false)"));
    gateway_has_device = true;
    HttpResult after = api_get("/api/whatsapp/status", admin().token);
    assert_non_null(std::strstr(after.body.c_str(), R"("isPaired":true)"));
    assert_non_null(std::strstr(after.body.c_str(), R"("isConnected":true)"));
    // Basic auth with the configured credentials on every call.
    assert_true(gateway()
                    .requests_to("/app/devices")
                    .back()
                    .headers.at("authorization")
                    .starts_with("Basic "));
    // Pairing is the installation's: not for plain users.
    AppAccount user = create_account(unique_id("wa-user"));
    assert_int_equal(
        api_post("/api/whatsapp/pairing-code", R"({"phone":"6281100000000"})", user.token).status,
        403);
    assert_int_equal(api_get("/api/whatsapp/groups", user.token).status, 403);
    HttpResult groups = api_get("/api/whatsapp/groups", admin().token);
    assert_int_equal(groups.status, 200);
    assert_non_null(std::strstr(groups.body.c_str(), R"("name":"Parcels")"));
    // Plain users see the link's state, not the installation's number.
    HttpResult plain = api_get("/api/whatsapp/status", user.token);
    assert_non_null(std::strstr(plain.body.c_str(), R"("devices":[])"));
    assert_non_null(std::strstr(plain.body.c_str(), R"("isPaired":true)"));
}

void recipients_are_numeric_and_unique(void**) {
    AppAccount account = create_account(unique_id("wa-recip"));
    add_recipient(account, "6281200000001");
    HttpResult duplicate =
        api_post("/api/whatsapp/recipients", R"({"phone":"6281200000001"})", account.token);
    assert_int_equal(duplicate.status, 409);
    HttpResult bad = api_post("/api/whatsapp/recipients", R"({"phone":"+62 812"})", account.token);
    assert_int_equal(bad.status, 422);
    assert_text_equal(json_field(bad.body, "field"), "phone");
    assert_int_equal(http_request(stack_env().http_port, "DELETE",
                                  "/api/whatsapp/recipients/6289999999999", "",
                                  bearer(account.token))
                         .status,
                     404);
    HttpResult removed =
        http_request(stack_env().http_port, "DELETE", "/api/whatsapp/recipients/6281200000001", "",
                     bearer(account.token));
    assert_int_equal(removed.status, 200);
    assert_non_null(std::strstr(removed.body.c_str(), R"("recipients":[])"));
}

// A number receives nothing but its code until the code comes back: no test messages, no
// alerts. Codes are short-lived secrets: 5 tries, a new code voids the old one, never stored.
void recipients_receive_nothing_until_verified(void**) {
    AppAccount account = create_account(unique_id("wa-verify"));
    std::string phone = "6281210000001";
    std::string code = add_unverified(account, phone);
    HttpResult listed = api_get("/api/whatsapp/recipients", account.token);
    assert_non_null(std::strstr(listed.body.c_str(), R"("unverified":["6281210000001"])"));
    assert_int_equal(
        db().exec("SELECT count(*) FROM notifications WHERE data::text LIKE $1", {"%" + code + "%"})
            .integer(0, 0),
        0);

    HttpResult early =
        api_post("/api/whatsapp/test", R"({"message":"unverified-marker"})", account.token);
    assert_int_equal(early.status, 200);
    assert_int_equal(json_integer_field(early.body, "deliveries"), 0);
    assert_int_equal(
        api_post("/api/whatsapp/test", R"({"phone":"6281210000001"})", account.token).status, 422);
    db().exec("INSERT INTO notifications (user_id, kind, data) VALUES ($1, 'pin_lockout', '{}')",
              {user_id(account.username)});

    std::string wrong = code == "000000" ? "000001" : "000000";
    HttpResult refused = verify(account, phone, wrong);
    assert_int_equal(refused.status, 422);
    assert_text_equal(json_field(refused.body, "code"), "invalid_code");
    assert_int_equal(json_integer_field(refused.body, "remainingAttempts"), 4);
    assert_int_equal(verify(account, "6281299999999", code).status, 404);
    HttpResult confirmed = verify(account, phone, code);
    assert_int_equal(confirmed.status, 200);
    assert_non_null(std::strstr(confirmed.body.c_str(), R"("unverified":[])"));
    HttpResult later =
        api_post("/api/whatsapp/test", R"({"message":"verified-marker"})", account.token);
    assert_int_equal(json_integer_field(later.body, "deliveries"), 1);
    wait_settled(std::to_string(json_integer_field(later.body, "notificationId")));
    assert_int_equal(sent("/send/message", "verified-marker").size(), 1);
    // Only now: the earlier test message and alert never went out.
    assert_int_equal(sent("/send/message", "unverified-marker").size(), 0);
    assert_int_equal(sent_to(phone).size(), 1);

    // Five wrong tries void a code, even for the right one after them; adding the number
    // again sends a new code (the old one no longer works).
    std::string other = "6281210000002";
    std::string first = add_unverified(account, other);
    std::string miss = first == "000000" ? "000001" : "000000";
    for (int i = 0; i < 5; ++i)
        assert_int_equal(verify(account, other, miss).status, 422);
    assert_int_equal(verify(account, other, first).status, 429);
    std::string second = add_unverified(account, other);
    if (second != first)
        assert_int_equal(verify(account, other, first).status, 422);
    assert_int_equal(verify(account, other, second).status, 200);

    // Codes to one number are limited whoever asks: 5 an hour.
    AppAccount pest = create_account(unique_id("wa-pest"));
    std::string body = R"({"phone":"6281210000003"})";
    for (int i = 0; i < 5; ++i)
        assert_int_equal(
            api_post("/api/whatsapp/recipients", body, i < 3 ? pest.token : account.token).status,
            200);
    HttpResult flood = api_post("/api/whatsapp/recipients", body, pest.token);
    assert_int_equal(flood.status, 429);
    assert_text_equal(json_field(flood.body, "code"), "locked_out");
}

void a_parcel_arrival_sends_one_image_per_recipient_and_a_signed_webhook(void**) {
    AppAccount owner = create_account(unique_id("wa-owner"));
    add_recipient(owner, "6281300000001");
    add_recipient(owner, "6281300000002");
    std::string hook_url =
        "http://127.0.0.1:" + std::string(std::getenv("SARANG_TEST_AUX_PORT")) + "/hook";
    HttpResult hook = api_post("/api/v1/webhooks", "{\"url\":\"" + hook_url + "\"}", owner.token);
    assert_int_equal(hook.status, 201);
    std::string secret = json_field(hook.body, "secret");
    assert_int_equal(secret.size(), 64);
    std::string device = unique_id("box");
    create_device(device, "parcel-box", "--owner " + owner.username);

    // What the parcel upload (issue #8) will insert; any producer does the same.
    std::string id(
        db().exec("INSERT INTO notifications (user_id, kind, device_id, data, image_path)"
                  " VALUES ($1, 'package_received', $2, '{\"distanceCm\": 17}',"
                  " 'packages/42.jpg') RETURNING id",
                  {user_id(owner.username), device})
            .text(0, 0));
    wait_settled(id);
    for (const char* phone : {"6281300000001", "6281300000002"}) {
        std::vector<RecordedRequest> images =
            sent("/send/image", std::string(phone) + "@s.whatsapp.net");
        assert_int_equal(images.size(), 1);
        const std::string& body = images[0].body; // multipart: phone, caption, image_url
        assert_non_null(std::strstr(body.c_str(), "Paket baru diterima di"));
        assert_non_null(std::strstr(body.c_str(), "Jarak: 17 cm"));
        assert_non_null(std::strstr(body.c_str(), "/api/v1/media/packages/42.jpg?expires="));
        assert_non_null(std::strstr(body.c_str(), "&signature="));
    }
    std::vector<RecordedRequest> hooks = sent("/hook", "\"notificationId\":" + id);
    assert_int_equal(hooks.size(), 1);
    assert_text_equal(hooks[0].headers.at("x-sarang-event"), "package_received");
    std::string expected =
        "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret, hooks[0].body));
    assert_text_equal(hooks[0].headers.at("x-sarang-signature"), expected);
    assert_int_equal(db().exec("SELECT count(*) FROM notification_deliveries"
                               " WHERE notification_id = $1 AND state = 'sent'",
                               {id})
                         .integer(0, 0),
                     3);
}

void failed_sends_are_retried_until_one_lands(void**) {
    AppAccount account = create_account(unique_id("wa-retry"));
    add_recipient(account, "6281400000001");
    fail_sends_to("6281400000001", 2); // GOWA says it failed (HTTP 500) twice: nothing went out
    HttpResult queued =
        api_post("/api/whatsapp/test", R"({"message":"retry-marker-1"})", account.token);
    assert_int_equal(queued.status, 200);
    std::string id = std::to_string(json_integer_field(queued.body, "notificationId"));
    wait_settled(id, 15s);
    pg::Result delivery = db().exec("SELECT state, attempts FROM notification_deliveries"
                                    " WHERE notification_id = $1",
                                    {id});
    assert_text_equal(delivery.text(0, 0), "sent");
    assert_int_equal(delivery.integer(0, 1), 3);
    assert_int_equal(sent("/send/message", "retry-marker-1").size(), 3); // 500, 500, 200
}

// GOWA got the request but did not answer in time: it may have sent the message, so it is not
// sent again; the delivery says so.
void an_unanswered_send_is_not_repeated(void**) {
    AppAccount account = create_account(unique_id("wa-stall"));
    add_recipient(account, "6281400000002");
    stall_next_send_to("6281400000002");
    HttpResult queued =
        api_post("/api/whatsapp/test", R"({"message":"stall-marker"})", account.token);
    std::string id = std::to_string(json_integer_field(queued.body, "notificationId"));
    wait_settled(id, 15s);
    pg::Result delivery = db().exec("SELECT state, last_error FROM notification_deliveries"
                                    " WHERE notification_id = $1",
                                    {id});
    assert_text_equal(delivery.text(0, 0), "failed");
    assert_non_null(std::strstr(std::string(delivery.text(0, 1)).c_str(), "outcome unknown"));
    std::this_thread::sleep_for(1s);
    assert_int_equal(sent("/send/message", "stall-marker").size(), 1);
}

void blocked_notifications_are_skipped(void**) {
    AppAccount account = create_account(unique_id("wa-block"));
    add_recipient(account, "6281500000001");
    assert_int_equal(api_post("/api/whatsapp/block", R"({"blocked":true})", account.token).status,
                     200);
    HttpResult queued =
        api_post("/api/whatsapp/test", R"({"message":"blocked-marker"})", account.token);
    std::string id = std::to_string(json_integer_field(queued.body, "notificationId"));
    wait_settled(id);
    assert_text_equal(
        db().exec("SELECT state FROM notification_deliveries WHERE notification_id = $1", {id})
            .text(0, 0),
        "skipped");
    assert_int_equal(sent("/send/message", "blocked-marker").size(), 0);
    HttpResult status = api_get("/api/whatsapp/status", account.token);
    assert_non_null(std::strstr(status.body.c_str(), R"("isBlocked":true)"));
    // English captions, unblocked.
    assert_int_equal(
        api_post("/api/whatsapp/block", R"({"blocked":false,"language":"en"})", account.token)
            .status,
        200);
    HttpResult again = api_post("/api/whatsapp/test", "", account.token);
    wait_settled(std::to_string(json_integer_field(again.body, "notificationId")));
    assert_int_equal(sent("/send/message", "Test message from Sarang").size(), 1);
}

void a_pin_lockout_alerts_exactly_once(void**) {
    AppAccount account = create_account(unique_id("wa-lock"));
    add_recipient(account, "6281600000001");
    std::vector<int> statuses;
    for (const char* pin : {"000111", "000112", "000113", "000114", "000115"})
        statuses.push_back(api_post("/api/auth/verify-pin",
                                    std::string("{\"pin\":\"") + pin + "\"}", account.token)
                               .status);
    assert_true((statuses == std::vector<int>{401, 401, 429, 429, 429}));
    pg::Result alerts = db().exec("SELECT id FROM notifications WHERE user_id = $1"
                                  " AND kind = 'pin_lockout'",
                                  {user_id(account.username)});
    assert_int_equal(alerts.rows(), 1);
    wait_settled(std::string(alerts.text(0, 0)));
    std::vector<RecordedRequest> messages = sent_to("6281600000001");
    assert_int_equal(messages.size(), 1);
    assert_non_null(std::strstr(messages[0].body.c_str(), "Peringatan keamanan"));
}

// The sidecar dies while GOWA is still answering: the restarted one must not send it again.
void a_restart_mid_delivery_sends_nothing_twice(void**) {
    AppAccount account = create_account(unique_id("wa-crash"));
    add_recipient(account, "6281700000001");
    stall_next_send_to("6281700000001");
    HttpResult queued =
        api_post("/api/whatsapp/test", R"({"message":"crash-marker"})", account.token);
    std::string id = std::to_string(json_integer_field(queued.body, "notificationId"));
    auto deadline = Clock::now() + 5s;
    while (sent("/send/message", "crash-marker").empty() && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    assert_int_equal(sent("/send/message", "crash-marker").size(), 1);
    stack_control("sidecar", "kill");
    stack_control("sidecar", "start");
    // A second notification queued after the restart is delivered (the worker runs), and the
    // interrupted one is not resent.
    HttpResult after =
        api_post("/api/whatsapp/test", R"({"message":"after-restart"})", account.token);
    assert_int_equal(after.status, 200);
    wait_settled(std::to_string(json_integer_field(after.body, "notificationId")));
    std::this_thread::sleep_for(1500ms);
    assert_int_equal(sent("/send/message", "after-restart").size(), 1);
    assert_int_equal(sent("/send/message", "crash-marker").size(), 1);
    assert_text_equal(
        db().exec("SELECT state FROM notification_deliveries WHERE notification_id = $1", {id})
            .text(0, 0),
        "sending"); // still the dead sidecar's claim
    // Let the claim expire now rather than in a minute: the new sidecar settles it as failed,
    // and sends nothing.
    db().exec("UPDATE notification_deliveries SET claimed_until = now() - interval '1 second'"
              " WHERE notification_id = $1",
              {id});
    assert_text_equal(state_after_sending("notification_id = $1", id), "failed");
    std::this_thread::sleep_for(1500ms);
    assert_int_equal(sent("/send/message", "crash-marker").size(), 1);
}

// notify.offline_after_s is 2 in this stack.
void a_device_offline_too_long_alerts_once_per_outage(void**) {
    AppAccount owner = create_account(unique_id("wa-offline"));
    add_recipient(owner, "6281800000001");
    std::string device = unique_id("pi");
    std::string password = create_device(device, "hydro-sensor", "--owner " + owner.username);
    {
        MqttClient client(device, 5);
        assert_int_equal(client.connect(stack_env().mqtt_port, device, password), 0);
    } // disconnects
    auto deadline = Clock::now() + 15s;
    std::vector<RecordedRequest> alerts;
    while ((alerts = sent("/send/message", "Perangkat offline di " + device)).empty() &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_int_equal(alerts.size(), 1);
    std::this_thread::sleep_for(3s); // more checks of the same outage add nothing
    assert_int_equal(sent("/send/message", "Perangkat offline di " + device).size(), 1);
    assert_int_equal(db().exec("SELECT count(*) FROM notifications WHERE device_id = $1"
                               " AND kind = 'device_offline'",
                               {device})
                         .integer(0, 0),
                     1);
}

// The sidecar dies while the lockout alert is on its way: after the restart there is still
// exactly one alert, and the lockout itself still holds.
void a_lockout_alert_stays_single_across_a_restart(void**) {
    AppAccount account = create_account(unique_id("wa-lock2"));
    add_recipient(account, "6281900000001");
    stall_next_send_to("6281900000001");
    for (const char* pin : {"000111", "000112", "000113"})
        api_post("/api/auth/verify-pin", std::string("{\"pin\":\"") + pin + "\"}", account.token);
    std::string phone = "6281900000001";
    auto deadline = Clock::now() + 5s;
    while (sent_to(phone).empty() && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    assert_int_equal(sent_to(phone).size(), 1);
    stack_control("sidecar", "kill");
    stack_control("sidecar", "start");
    // The dead sidecar's claim is still there; expire it now rather than in a minute.
    assert_int_equal(
        db().exec("UPDATE notification_deliveries SET claimed_until = now() - interval '1 second'"
                  " WHERE target = $1 AND state = 'sending'",
                  {"6281900000001"})
            .affected(),
        1);
    assert_text_equal(state_after_sending("target = $1 AND notification_id IN (SELECT id FROM"
                                          " notifications WHERE kind = 'pin_lockout')",
                                          "6281900000001"),
                      "failed"); // the restarted worker settled it, and sent nothing
    std::this_thread::sleep_for(1500ms);
    assert_int_equal(sent_to(phone).size(), 1);
    assert_int_equal(
        api_post("/api/auth/verify-pin", "{\"pin\":\"" + account.pin + "\"}", account.token).status,
        429);
    assert_int_equal(db().exec("SELECT count(*) FROM notifications n JOIN users u ON"
                               " u.id = n.user_id WHERE u.username = $1 AND n.kind = 'pin_lockout'",
                               {account.username})
                         .integer(0, 0),
                     1);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(pairing_counts_only_after_the_device_list_confirms),
        cmocka_unit_test(recipients_are_numeric_and_unique),
        cmocka_unit_test(recipients_receive_nothing_until_verified),
        cmocka_unit_test(a_parcel_arrival_sends_one_image_per_recipient_and_a_signed_webhook),
        cmocka_unit_test(failed_sends_are_retried_until_one_lands),
        cmocka_unit_test(an_unanswered_send_is_not_repeated),
        cmocka_unit_test(blocked_notifications_are_skipped),
        cmocka_unit_test(a_pin_lockout_alerts_exactly_once),
        cmocka_unit_test(a_restart_mid_delivery_sends_nothing_twice),
        cmocka_unit_test(a_device_offline_too_long_alerts_once_per_outage),
        cmocka_unit_test(a_lockout_alert_stays_single_across_a_restart),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
