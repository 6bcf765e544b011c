// Bad input on every REST endpoint (issue #12, item 4). The endpoints come from the served
// OpenAPI document, which must list exactly the router's routes, so a new endpoint cannot escape
// the sweep. For each one, with a valid caller (session, device credential or webhook
// signature) and valid ids around the one thing that is wrong: malformed JSON, non-objects, the
// wrong content type, missing required fields, wrong types, huge values, SQL metacharacters,
// unicode oddities and path traversal in ids, query values, credentials and file names. Every
// answer must be a 4xx in the one error shape {"error","code"} with a message, and a checksum of
// every table must be the same before and after the endpoint's batch.
#include "api_session.hpp"
#include "bad_inputs.hpp"
#include "db_checksum.hpp"
#include "http_client.hpp"
#include "openapi_operations.hpp"
#include "sarang/json.hpp"
#include "sarang/vending.hpp"
#include "stack_env.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;

namespace {

constexpr const char* midtrans_key = "SB-Mid-server-sweep-key"; // SARANG_TEST_CONF sets it

// Tables that change by design when a request is refused; everything else must not.
const std::vector<ChecksumException> expected_changes = {
    {"access_nodes",
     {"applied_barrier", "heartbeat_at"},
     "each broker node beats every second and records the barriers it applied"},
    {"auth_throttle", {}, "wrong passwords, PINs and unknown usernames are counted (lockouts)"},
    {"audit_log", {}, "refused logins and PIN checks are audited"},
    {"door_pin_lockouts", {}, "wrong door PINs are counted towards the lock's lockout"},
    {"sessions",
     {"last_activity_at"},
     "an authenticated request refreshes its session's idle timer"},
    {"notification_deliveries",
     {"state", "attempts", "next_attempt_at", "claimed_until", "last_error", "sent_at"},
     "the notification worker retries earlier deliveries in the background (new rows still count)"},
    {"worker_status",
     {"heartbeat_at"},
     "each plugin's database worker beats every few seconds, whatever the requests"},
};

// Refused PIN and password checks may start a lockout, which alerts the account's owner by
// design (docs/notifications.md, pin_lockout).
const std::map<std::string, std::vector<ChecksumException>> endpoint_changes = [] {
    std::vector<ChecksumException> lockout_alert = {
        {"notifications", {}, "a lockout queues a pin_lockout alert to the owner"},
        {"notification_deliveries", {}, "the lockout alert's deliveries"}};
    std::map<std::string, std::vector<ChecksumException>> changes;
    for (const char* key : {"POST /api/auth/verify-pin", "POST /api/auth/change-pin",
                            "POST /api/auth/change-door-pin", "POST /api/auth/change-password",
                            "POST /api/device/control/door", "POST /api/v1/devices/claim"})
        changes[key] = lockout_alert;
    for (const char* key : {"POST /api/v1/readings", "POST /api/readings"})
        changes[key] = {{"device_rejections", {}, "a refused reading is counted per device"}};
    changes["POST /api/whatsapp/recipients/{phone}/verify"] = {
        {"whatsapp_recipients", {"code_attempts"}, "a wrong verification code uses up a try"}};
    return changes;
}();

struct Fixtures {
    AppAccount admin;
    std::string hydro, hydro_key, vending, parcel_box, box_key, door_lock;
    std::string product, order, webhook, home;
    std::string recipient = "6287812345678";
};

struct Case {
    std::string label;
    std::string method, path, body;
    HttpHeaders headers;
    bool may_succeed = false; // free-text filters on a read: any answer but 5xx, nothing written
};

struct Tally {
    int requests = 0, endpoints = 0;
    std::map<std::string, int> by_family;
    std::vector<std::string> failures;
};

Fixtures fixtures;
Tally tally;

json::Ptr parse_or_die(const std::string& text) {
    std::string error;
    json::Ptr value = json::parse(text, error);
    if (!value)
        fail_msg("not JSON (%s): %s", error.c_str(), text.c_str());
    return value;
}

std::string id_field(const HttpResult& result, const char* field) {
    json::Ptr body = parse_or_die(result.body);
    json_t* value = json_object_get(body.get(), field);
    if (json_is_integer(value))
        return std::to_string(json_integer_value(value));
    if (json_is_string(value))
        return json_string_value(value);
    fail_msg("no %s in %s", field, result.body.c_str());
    return {};
}

HttpResult admin_call(const std::string& method, const std::string& path, const std::string& body) {
    HttpResult result =
        http_request(stack_env().http_port, method, path, body, bearer(fixtures.admin.token));
    if (result.status / 100 != 2)
        fail_msg("fixture %s %s: %d %s", method.c_str(), path.c_str(), result.status,
                 result.body.c_str());
    return result;
}

// The fixtures' devices connected once (create_device's probe): their presence lands a moment
// later and must not be mistaken for a write of the first endpoint's batch.
void wait_for_presence_to_settle() {
    std::string last;
    for (int stable = 0, tries = 0; stable < 3 && tries < 100; ++tries) {
        std::string now(db().exec("SELECT count(*) || '/' || count(*) FILTER (WHERE online)"
                                  " FROM device_presence")
                            .text(0, 0));
        stable = now == last ? stable + 1 : 0;
        last = now;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

void make_fixtures() {
    fixtures.admin = create_account("sweepadmin", "admin");
    std::string owner = "--owner sweepadmin";
    fixtures.hydro = "pi-sweep";
    fixtures.hydro_key = create_device(fixtures.hydro, "hydro-sensor", owner);
    fixtures.vending = "VM-sweep";
    create_device(fixtures.vending, "vending", owner);
    fixtures.parcel_box = "box-sweep";
    fixtures.box_key = create_device(fixtures.parcel_box, "parcel-box", owner);
    fixtures.door_lock = "lock-sweep";
    create_device(fixtures.door_lock, "door-lock", owner);
    fixtures.product =
        id_field(admin_call("POST", "/api/v1/vending/products", R"({"name":"Teh Botol"})"), "id");
    admin_call("PUT", "/api/v1/vending/machines/VM-sweep/slots/1",
               R"({"price":5000,"capacity":10,"stock":5,"product_id":)" + fixtures.product + "}");
    fixtures.order = id_field(
        admin_call("POST", "/api/v1/vending/orders", R"({"machine_id":"VM-sweep","slot":1})"),
        "id");
    fixtures.webhook = id_field(
        admin_call("POST", "/api/v1/webhooks", R"({"url":"https://hooks.example.com/sarang"})"),
        "id");
    admin_call("POST", "/api/whatsapp/recipients", R"({"phone":")" + fixtures.recipient + "\"}");
    fixtures.home = id_field(admin_call("POST", "/api/v1/homes", R"({"name":"Rumah"})"), "id");
    wait_for_presence_to_settle();
}

// A valid value for each path placeholder, so that only the one mutated part is wrong.
std::string path_value(const std::string& path, const std::string& name) {
    if (name == "slot")
        return "1";
    if (name == "metric")
        return "ph";
    if (name == "phone")
        return fixtures.recipient;
    if (name == "file")
        return "missing.jpg";
    if (path.starts_with("/api/v1/vending/machines/"))
        return fixtures.vending;
    if (path.starts_with("/api/v1/vending/products/"))
        return fixtures.product;
    if (path.starts_with("/api/v1/vending/orders/"))
        return fixtures.order;
    if (path.starts_with("/api/v1/webhooks/"))
        return fixtures.webhook;
    if (path.starts_with("/api/v1/devices/") || path.starts_with("/api/devices/"))
        return fixtures.hydro;
    if (path.find("packages/") != std::string::npos)
        return "1";
    if (path.starts_with("/api/provision/status/"))
        return "chip-sweep";
    fail_msg("no fixture for {%s} in %s: add one so the sweep covers it", name.c_str(),
             path.c_str());
    return {};
}

std::string fill_path(const ApiOperation& op, const std::string& mutated = "",
                      const std::string& replacement = "") {
    std::string path = op.path;
    for (const ApiParameter& p : op.parameters) {
        if (p.in != "path")
            continue;
        std::string placeholder = "{" + p.name + "}";
        std::string value = p.name == mutated ? replacement : path_value(op.path, p.name);
        path.replace(path.find(placeholder), placeholder.size(), value);
    }
    return path;
}

// The query a valid request carries (which parcel box or lock a device-scoped route means).
std::string base_query(const ApiOperation& op) {
    if (op.path == "/api/device/control/door")
        return "deviceId=" + fixtures.door_lock;
    if (op.path.starts_with("/api/device/"))
        return "deviceId=" + fixtures.parcel_box;
    return "";
}

// The caller's credentials. The event stream is never opened with a valid session: it would
// stay open; its cases are all about the credential.
HttpHeaders caller(const ApiOperation& op) {
    for (const std::string& scheme : op.security) {
        if (scheme == "session")
            return op.path == "/api/v1/stream" ? HttpHeaders{} : bearer(fixtures.admin.token);
        if (scheme == "deviceApiKey")
            return {{"X-API-Key", op.path.find("packages") != std::string::npos
                                      ? fixtures.box_key
                                      : fixtures.hydro_key}};
    }
    return {};
}

// A valid body for each JSON operation; the sweep changes one thing in it at a time.
std::string base_body(const ApiOperation& op) {
    static const std::map<std::string, std::function<std::string()>> bodies = {
        {"POST /api/auth/register",
         [] { return R"({"username":"sweepnew","password":"Correct-Horse-42"})"; }},
        {"POST /api/auth/change-pin", [] { return R"({"currentPin":"583920","newPin":"1234"})"; }},
        {"POST /api/v1/devices/{id}/commands",
         [] { return R"({"subtopic":"config","payload":{"interval":5}})"; }},
        {"PUT /api/v1/devices/{id}/thresholds",
         [] { return R"({"ph":{"normal":{"low":5.8,"high":6.2}}})"; }},
        {"POST /api/v1/readings", [] { return R"({"ph":6.5,"tds":500})"; }},
        {"POST /api/readings", [] { return R"({"ph":6.5,"tds":500})"; }},
        {"POST /api/v1/devices/auto-register",
         [] {
             return R"({"device_id":"esp-sweep","pin_code":"123456","factory_secret":"not-the-secret","kind":"parcel-box"})";
         }},
        {"POST /api/v1/devices/claim",
         [] { return R"({"device_id":"esp-sweep","pin_code":"123456"})"; }},
        {"POST /api/provision/register",
         [] { return R"({"chip_id":"chip-sweep","home_id":)" + fixtures.home + "}"; }},
        {"POST /api/v1/homes", [] { return R"({"name":"Rumah"})"; }},
        {"POST /api/payments/webhook",
         [] {
             return R"({"order_id":")" + fixtures.order +
                    R"(","status_code":"201","gross_amount":"5000.00","signature_key":"","transaction_status":"pending"})";
         }},
        {"POST /api/dispense/trigger", [] { return R"({"order_id":")" + fixtures.order + "\"}"; }},
        {"PUT /api/v1/vending/machines/{id}/config", [] { return R"({"motorTimeout":3000})"; }},
        {"PUT /api/v1/vending/machines/{id}/slots/{slot}",
         [] { return R"({"price":5000,"capacity":10})"; }},
        {"POST /api/v1/vending/machines/{id}/slots/{slot}/restock",
         [] { return R"({"quantity":1})"; }},
        {"POST /api/v1/vending/orders",
         [] { return R"({"machine_id":")" + fixtures.vending + R"(","slot":1})"; }},
        {"POST /api/v1/vending/products", [] { return R"({"name":"Teh"})"; }},
        {"PUT /api/v1/vending/products/{id}", [] { return R"({"name":"Teh"})"; }},
        // Which box comes from the query here, so the query's cases are not masked by the body.
        {"POST /api/device/generate-token", [] { return "{}"; }},
    };
    auto found = bodies.find(op.key());
    if (found != bodies.end())
        return found->second();
    if (op.example)
        return json::dump(op.example.get());
    // Only operations whose fields all have a type may go without a valid body of their own.
    json::Ptr body = json::own(json_object());
    for (const ApiField& field : op.fields) {
        if (field.type == "string")
            json::set(body.get(), field.name.c_str(), json::own(json_string("x")));
        else if (field.type == "integer" || field.type == "number")
            json::set(body.get(), field.name.c_str(), json::own(json_integer(1)));
        else if (field.type == "boolean")
            json::set(body.get(), field.name.c_str(), json::own(json_true()));
        else
            json::set(body.get(), field.name.c_str(), json::own(json_object()));
    }
    return json::dump(body.get());
}

// The payment webhook checks its signature first; re-signing the mutated body makes its
// validation, not the signature check, refuse it.
std::string signed_if_webhook(const ApiOperation& op, const std::string& body) {
    if (op.path != "/api/payments/webhook")
        return body;
    std::string error;
    json::Ptr value = json::parse(body, error);
    if (!json_is_object(value.get()))
        return body;
    const char* order = json_string_value(json_object_get(value.get(), "order_id"));
    const char* status = json_string_value(json_object_get(value.get(), "status_code"));
    const char* amount = json_string_value(json_object_get(value.get(), "gross_amount"));
    json_t* signature = json_object_get(value.get(), "signature_key");
    if (!order || !status || !amount || !json_is_string(signature) ||
        std::string(json_string_value(signature)) != "")
        return body;
    json::set(value.get(), "signature_key",
              json::own(json_string(
                  vending::midtrans_signature(order, status, amount, midtrans_key).c_str())));
    return json::dump(value.get());
}

std::string with_field(const std::string& base, const std::string& field, json::Ptr value) {
    json::Ptr body = parse_or_die(base);
    if (value)
        json::set(body.get(), field.c_str(), std::move(value));
    else
        json_object_del(body.get(), field.c_str());
    return json::dump(body.get());
}

// The field set to raw JSON text that jansson cannot hold (numbers beyond 64 bits, invalid
// strings): spliced into the text in place of a marker.
std::string with_raw_field(const std::string& base, const std::string& field,
                           const std::string& raw) {
    const std::string marker = "\"@@raw@@\"";
    std::string body = with_field(base, field, json::own(json_string("@@raw@@")));
    return body.replace(body.find(marker), marker.size(), raw);
}

// Fields that name a thing (device, order, chip), a phone, a PIN or a secret: like fields with
// a pattern, hostile text there is never valid. Free text (a product's name) takes quotes and
// unusual unicode, but not control characters. Passwords take any text.
bool identifying(const ApiField& field) {
    if (field.name == "chip_id")
        return false; // documented as 1-64 printable characters: the seed's chips send any
    for (const char* part :
         {"id", "Id", "pin", "Pin", "phone", "secret", "username", "subtopic", "url"}) {
        if (field.name.find(part) != std::string::npos)
            return true;
    }
    return field.constrained;
}

bool password(const ApiField& field) {
    return field.name.find("assword") != std::string::npos;
}

void add_body_cases(const ApiOperation& op, std::vector<Case>& cases) {
    std::string path = fill_path(op);
    std::string query = base_query(op);
    if (!query.empty())
        path += "?" + query;
    HttpHeaders headers = caller(op);
    auto add = [&](const std::string& family, const std::string& label, const std::string& body,
                   HttpHeaders extra = {}) {
        HttpHeaders all = headers;
        all.insert(all.end(), extra.begin(), extra.end());
        cases.push_back({family + ": " + label, op.method, path, signed_if_webhook(op, body), all});
    };
    for (const BadText& text : malformed_json_texts()) {
        // An optional body may be left out: empty (or blank) is then "no body", not bad input.
        bool blank = text.text.find_first_not_of(" \n\t") == std::string::npos;
        if (!blank || op.body_required)
            add("malformed JSON", text.label, text.text);
    }
    for (const BadText& text : non_object_json_texts())
        add("not an object", text.label, text.text);
    add("content type", "text/plain", base_body(op), {{"Content-Type", "text/plain"}});
    add("content type", "form", base_body(op),
        {{"Content-Type", "application/x-www-form-urlencoded"}});
    add("huge", "body over the limit", "{\"a\":\"" + std::string(70000, 'x') + "\"}");
    std::string base = base_body(op);
    for (const ApiField& field : op.fields) {
        if (field.required)
            add("missing field", field.name, with_field(base, field.name, nullptr));
        if (!field.type.empty()) {
            for (json::Ptr& value : wrong_type_values(field.type)) {
                std::string shown = json::dump(value.get());
                add("wrong type", field.name + "=" + shown,
                    with_field(base, field.name, std::move(value)));
            }
        }
        // null is "absent" for an optional field, not bad input; a required one needs a value.
        if (field.required && !field.nullable)
            add("wrong type", field.name + "=null",
                with_field(base, field.name, json::own(json_null())));
        for (const BadText& huge : huge_json_values()) {
            if (field.type == "string" && !identifying(field))
                continue; // a number is only a wrong type there, sent above
            add("huge", field.name + " " + huge.label, with_raw_field(base, field.name, huge.text));
        }
        if (field.type == "string" && (identifying(field) || field.max_length > 0)) {
            long long length = field.max_length > 0 ? field.max_length + 1 : 20000;
            add("huge", field.name + " string of " + std::to_string(length),
                with_field(base, field.name,
                           json::own(json_string(std::string(length, '7').c_str()))));
        }
        if (field.type == "string") {
            for (const BadText& text : hostile_strings()) {
                if (password(field) || (!identifying(field) && !text.bad_in_free_text))
                    continue;
                add("hostile text", field.name + " " + text.label,
                    with_field(base, field.name, json::own(json_string(text.text.c_str()))));
            }
            for (const BadText& text : invalid_json_strings())
                add("unicode", field.name + " " + text.label,
                    with_raw_field(base, field.name, text.text));
        }
    }
}

// Bodies whose schema has no listed properties (metrics by name, settings, control actions).
void add_free_form_cases(const ApiOperation& op, std::vector<Case>& cases) {
    static const std::map<std::string, std::vector<std::string>> extra = {
        {"PUT /api/v1/devices/{id}/thresholds",
         {R"({})", R"({"ph":{"normal":{"low":"x"}}})", R"({"ph":{"normal":{"low":7,"high":6}}})",
          R"({"ph":{"normal":{"low":1e400}}})",
          R"({"x'); DROP TABLE users;--":{"normal":{"low":1}}})",
          R"({"../../etc":{"normal":{"low":1}}})", R"({"ph":[1,2]})",
          R"({"ph":{"normal":{"low":1,"high":2},"warning":{"low":3,"high":4}}})"}},
        {"POST /api/v1/readings",
         {R"({})", R"({"ph":"abc"})", R"({"ph":1e400})", R"({"ph":[6.5]})", R"({"ph":{"v":1}})",
          R"({"ph":6.5,"ts":"yesterday"})", R"({"ph":6.5,"timestamp":"../../etc"})",
          R"({"ph":6.5,"ts":-99999999999999999999})", R"({"x'); DROP TABLE readings;--":1})"}},
        {"PUT /api/device/settings",
         {R"({})", R"({"ultra":{"min":"x"}})", R"({"ultra":{"min":30,"max":10}})",
          R"({"lock":{"ms":-1}})", R"({"lock":{"ms":99999999999999999999}})", R"({"ultra":[1]})",
          R"({"'; DROP TABLE parcel_settings;--":1})"}},
        {"POST /api/device/control/flash",
         {R"({})", R"({"state":"' OR 1=1"})", R"({"state":"pulse","ms":-1})",
          R"({"state":"pulse","ms":"x"})", R"({"state":"pulse","ms":1e400})", R"({"state":7})"}},
        {"POST /api/device/control/buzzer",
         {R"({})", R"({"action":"../../"})", R"({"action":"start","ms":-5})",
          R"({"action":"start","ms":99999999999})", R"({"action":["start"]})"}},
        {"POST /api/device/control/holder",
         {R"({})", R"({"action":"'; DROP TABLE commands;--"})", R"({"action":"open","ms":"x"})",
          R"({"action":"open","ms":-1})", R"({"action":null})"}},
        {"POST /api/device/generate-token",
         {R"({"deviceId":"' OR '1'='1"})", R"({"deviceId":"../../etc/passwd"})",
          R"({"deviceId":12})", R"({"deviceId":"\u202ebox"})"}},
    };
    // The seed's path takes what /api/v1/readings takes.
    auto found = extra.find(op.key() == "POST /api/readings" ? "POST /api/v1/readings" : op.key());
    if (found == extra.end())
        return;
    std::string path = fill_path(op);
    std::string query = base_query(op);
    if (!query.empty())
        path += "?" + query;
    for (const std::string& body : found->second)
        cases.push_back({"semantics: " + body.substr(0, 60), op.method, path, body, caller(op)});
}

void add_path_cases(const ApiOperation& op, std::vector<Case>& cases) {
    std::string query = base_query(op);
    for (const ApiParameter& p : op.parameters) {
        if (p.in != "path")
            continue;
        for (const BadText& segment : hostile_path_segments()) {
            std::string path = fill_path(op, p.name, segment.text);
            if (!query.empty())
                path += "?" + query;
            cases.push_back({"path {" + p.name + "}: " + segment.label, op.method, path,
                             op.json_body ? signed_if_webhook(op, base_body(op)) : "", caller(op)});
        }
    }
}

// Query parameters that filter a read by free text: an odd value is a search that finds nothing.
// The package lists filter by deviceId too; the device-scoped /api/device/* routes do not.
bool free_text_filter(const ApiOperation& op, const ApiParameter& p) {
    bool package_list = op.path.find("packages") != std::string::npos && p.name == "deviceId";
    return op.method == "GET" &&
           (p.name == "search" || p.name == "metric" || p.name == "subtopic" ||
            p.name == "machine_id" || p.name == "status" || p.name == "kind" || package_list);
}

void add_query_cases(const ApiOperation& op, std::vector<Case>& cases) {
    for (const ApiParameter& p : op.parameters) {
        if (p.in != "query")
            continue;
        for (const BadText& value : hostile_query_values()) {
            std::string path = fill_path(op) + "?" + p.name + "=" + value.text;
            std::string query = base_query(op);
            if (!query.empty() && p.name != "deviceId")
                path += "&" + query;
            cases.push_back({"query " + p.name + ": " + value.label, op.method, path,
                             op.json_body ? signed_if_webhook(op, base_body(op)) : "", caller(op),
                             free_text_filter(op, p)});
        }
    }
}

void add_credential_cases(const ApiOperation& op, std::vector<Case>& cases) {
    if (op.security.empty())
        return;
    std::string path = fill_path(op);
    std::string query = base_query(op);
    if (!query.empty())
        path += "?" + query;
    std::string body = op.json_body ? base_body(op) : "";
    for (const BadText& credential : hostile_credentials()) {
        cases.push_back({"credential: " + credential.label,
                         op.method,
                         path,
                         body,
                         {{"Authorization", credential.text}}});
        bool device_key =
            std::find(op.security.begin(), op.security.end(), "deviceApiKey") != op.security.end();
        if (device_key)
            cases.push_back({"device key: " + credential.label,
                             op.method,
                             path,
                             body,
                             {{"X-API-Key", credential.text.substr(7)}}});
    }
}

std::string multipart(const std::string& boundary,
                      const std::vector<std::pair<std::string, std::string>>& parts) {
    std::string body;
    for (const auto& [disposition, content] : parts)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; " + disposition +
                "\r\n\r\n" + content + "\r\n";
    return body + "--" + boundary + "--\r\n";
}

void add_upload_cases(const ApiOperation& op, std::vector<Case>& cases) {
    if (!op.multipart_body)
        return;
    const std::string b = "sweepboundary";
    HttpHeaders form = caller(op);
    form.push_back({"Content-Type", "multipart/form-data; boundary=" + b});
    std::string jpeg_like = "\xff\xd8\xff\xe0not really a jpeg";
    std::string photo_part = "name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg";
    auto add = [&](const std::string& label, const std::string& body, HttpHeaders headers) {
        cases.push_back({"upload: " + label, op.method, op.path, body, std::move(headers)});
    };
    add("no photo part", multipart(b, {{"name=\"meta\"", "{}"}}), form);
    add("not an image", multipart(b, {{photo_part, "plain text, not a photo"}}), form);
    add("truncated JPEG", multipart(b, {{photo_part, jpeg_like}}), form);
    add("traversal in file name",
        multipart(b, {{"name=\"photo\"; filename=\"../../../etc/passwd\"\r\nContent-Type: "
                       "image/jpeg",
                       jpeg_like}}),
        form);
    add("NUL in file name",
        multipart(b, {{std::string("name=\"photo\"; filename=\"a\0.jpg\"", 32), jpeg_like}}), form);
    add("malformed meta", multipart(b, {{photo_part, jpeg_like}, {"name=\"meta\"", "{not json"}}),
        form);
    add("meta with SQL",
        multipart(b, {{photo_part, jpeg_like},
                      {"name=\"meta\"", R"({"id":"'; DROP TABLE packages;--"})"}}),
        form);
    add("broken boundary", "--other\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nx",
        form);
    add("no boundary", multipart(b, {{photo_part, jpeg_like}}), [&] {
        HttpHeaders headers = caller(op);
        headers.push_back({"Content-Type", "multipart/form-data"});
        return headers;
    }());
    add("JSON instead of a form", R"({"photo":"x"})", caller(op));
    add("over the upload limit", multipart(b, {{photo_part, std::string(6 << 20, 'x')}}), form);
}

bool error_shaped(const HttpResult& result, std::string& why) {
    std::string error;
    json::Ptr body = json::parse(result.body, error);
    const char* message = json_string_value(json_object_get(body.get(), "error"));
    const char* code = json_string_value(json_object_get(body.get(), "code"));
    if (message == nullptr || code == nullptr || *message == '\0' || *code == '\0') {
        why = "not the error shape: " + result.body.substr(0, 200);
        return false;
    }
    return true;
}

std::set<std::string> storage_files() {
    std::set<std::string> files;
    std::string root = stack_env().config().string("storage.dir");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
        files.insert(entry.path().string());
    return files;
}

void run_cases(const ApiOperation& op, const std::vector<Case>& cases) {
    std::vector<ChecksumException> allowed = expected_changes;
    if (auto found = endpoint_changes.find(op.key()); found != endpoint_changes.end())
        allowed.insert(allowed.end(), found->second.begin(), found->second.end());
    TableChecksums before = table_checksums(allowed);
    std::set<std::string> files_before = storage_files();
    for (const Case& c : cases) {
        HttpResult result =
            http_request(stack_env().http_port, c.method, c.path, c.body, c.headers);
        ++tally.requests;
        std::string family = c.label.substr(0, c.label.find(':'));
        if (family.starts_with("query ") || family.starts_with("path "))
            family = family.substr(0, family.find(' ')) + " parameters";
        ++tally.by_family[family];
        std::string why;
        bool refused = result.status >= 400 && result.status < 500;
        if (c.may_succeed && result.status >= 200 && result.status < 300)
            continue;
        if (!refused)
            why = "status " + std::to_string(result.status) + " " + result.body.substr(0, 200);
        else
            error_shaped(result, why);
        if (!why.empty())
            tally.failures.push_back(op.key() + " [" + c.label + "] " + why);
    }
    for (const std::string& table : changed_tables(before, table_checksums(allowed))) {
        // The newest rows say which request wrote.
        pg::Result newest = db().exec("SELECT left(t::text, 300) FROM public." + table +
                                      " t ORDER BY 1 DESC LIMIT 3");
        std::string rows;
        for (int row = 0; row < newest.rows(); ++row)
            rows += "\n    " + std::string(newest.text(row, 0));
        tally.failures.push_back(op.key() + ": table " + table + " changed" + rows);
    }
    if (storage_files() != files_before)
        tally.failures.push_back(op.key() + ": files appeared in the storage folder");
}

void every_endpoint_refuses_bad_input_and_writes_nothing(void**) {
    make_fixtures();
    print_exceptions(expected_changes);
    for (const auto& [endpoint, changes] : endpoint_changes) {
        std::printf("%s:\n", endpoint.c_str());
        print_exceptions(changes);
    }
    HttpResult served = http_request(stack_env().http_port, "GET", "/api/docs/openapi.json");
    assert_int_equal(served.status, 200);
    json::Ptr document = parse_or_die(served.body);
    std::vector<ApiOperation> operations = api_operations(document.get());
    std::set<std::string> documented;
    for (const ApiOperation& op : operations)
        documented.insert(op.key());
    // The sweep walks the document: every route must be in it, or it would go unswept.
    assert_true(sidecar_routes() == documented);

    for (const ApiOperation& op : operations) {
        std::vector<Case> cases;
        if (op.json_body) {
            add_body_cases(op, cases);
            add_free_form_cases(op, cases);
        }
        add_upload_cases(op, cases);
        add_path_cases(op, cases);
        add_query_cases(op, cases);
        add_credential_cases(op, cases);
        if (cases.empty()) {
            // Nothing the caller sends is read (health, metrics, the document itself).
            cases.push_back({"ignored input: junk query",
                             op.method,
                             op.path + "?%27%20OR%201%3D1--=%00&page=-1",
                             "",
                             {},
                             true});
        }
        ++tally.endpoints;
        run_cases(op, cases);
    }

    std::printf("bad-input sweep: %d requests over %d endpoints (%zu documented routes)\n",
                tally.requests, tally.endpoints, documented.size());
    for (const auto& [family, count] : tally.by_family)
        std::printf("  %-18s %d\n", family.c_str(), count);
    for (const std::string& failure : tally.failures)
        std::printf("FAIL %s\n", failure.c_str());
    assert_int_equal(tally.failures.size(), 0);
    assert_int_equal(tally.endpoints, static_cast<int>(documented.size()));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(every_endpoint_refuses_bad_input_and_writes_nothing),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
