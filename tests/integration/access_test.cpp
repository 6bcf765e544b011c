// The access plugin against real mosquitto and PostgreSQL: the kinds' allow/deny matrix,
// hostile identities, rotation with and without grace, revocation, presence across a session
// takeover and a broker restart, and authentication while PostgreSQL is down.
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/credentials.hpp"
#include "sarang/crypto.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <map>
#include <thread>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int refused_v5 = 135;
constexpr int denied_v5 = 135;

// Polls a query's first cell until it equals `expected` or the timeout passes.
bool eventually(const std::string& sql, const pg::Params& params, const std::string& expected,
                std::chrono::milliseconds timeout = 3s) {
    auto deadline = Clock::now() + timeout;
    std::string seen = "(no answer)";
    for (;;) {
        try {
            pg::Result rows = db().exec(sql, params);
            seen = rows.rows() > 0 ? std::string(rows.text(0, 0)) : "(no row)";
            if (seen == expected)
                return true;
        } catch (const pg::Error&) {
            // the database may be coming back
        }
        if (Clock::now() > deadline) {
            print_message("expected '%s', last saw '%s'\n", expected.c_str(), seen.c_str());
            return false;
        }
        std::this_thread::sleep_for(25ms);
    }
}

std::string online_of(const std::string& id) {
    return "SELECT online::text FROM devices WHERE id = '" + id + "'";
}

void every_kind_may_use_exactly_its_topics(void**) {
    struct Device {
        std::string id, kind, prefix, password;
    };
    std::vector<Device> devices = {
        {unique_id("VM"), "vending", "", ""},     {unique_id("box"), "parcel-box", "", ""},
        {unique_id("lock"), "door-lock", "", ""}, {unique_id("dht"), "env-sensor", "", ""},
        {unique_id("relay"), "relay", "", ""},    {unique_id("pi"), "hydro-sensor", "", ""},
    };
    const std::map<std::string, std::string> roots = {{"vending", "vm"},
                                                      {"parcel-box", "smartparcel"},
                                                      {"door-lock", "smartparcel"},
                                                      {"env-sensor", "home"},
                                                      {"relay", "relay"},
                                                      {"hydro-sensor", "hydro"}};
    for (Device& device : devices) {
        device.prefix = roots.at(device.kind) + "/" + device.id;
        device.password = create_device(device.id, device.kind);
    }
    struct Expectation {
        std::string kind, subtopic;
        bool publish_allowed, subscribe_allowed;
    } matrix[] = {
        {"vending", "telemetry", true, false},       {"vending", "dispense_result", true, false},
        {"vending", "status", true, false},          {"vending", "command", false, true},
        {"vending", "config", false, true},          {"parcel-box", "sensor/distance", true, false},
        {"parcel-box", "photo/status", true, false}, {"parcel-box", "settings/cur", true, false},
        {"parcel-box", "control", false, true},      {"parcel-box", "settings/set", false, true},
        {"door-lock", "status", true, false},        {"door-lock", "alert", true, false},
        {"door-lock", "pin/attempt", true, false},   {"door-lock", "pin/verdict", false, true},
        {"door-lock", "pin", false, false},          {"env-sensor", "reading", true, false},
        {"env-sensor", "command", false, true},      {"relay", "state", true, false},
        {"relay", "command", false, true},           {"hydro-sensor", "reading", true, false},
        {"hydro-sensor", "config", false, true},     {"hydro-sensor", "#", false, false},
    };
    for (const Device& device : devices) {
        MqttClient client(device.id, 5);
        assert_int_equal(client.connect(stack_env().mqtt_port, device.id, device.password), 0);
        for (const Expectation& e : matrix) {
            if (e.kind != device.kind)
                continue;
            std::string topic = device.prefix + "/" + e.subtopic;
            if (e.subtopic != "#") {
                int puback = client.publish(topic, R"({"ok":true})");
                if (accepted(puback) != e.publish_allowed)
                    fail_msg("%s publish %s gave %d", device.kind.c_str(), topic.c_str(), puback);
            }
            int suback = client.subscribe(topic);
            if ((suback == 1) != e.subscribe_allowed)
                fail_msg("%s subscribe %s gave %d", device.kind.c_str(), topic.c_str(), suback);
        }
        // Every other device's topics are out of reach, in both directions.
        for (const Device& other : devices) {
            if (other.id == device.id)
                continue;
            assert_int_equal(client.publish(other.prefix + "/status", "{}"), denied_v5);
            assert_int_not_equal(client.subscribe(other.prefix + "/command"), 1);
        }
        assert_int_not_equal(client.subscribe("#"), 1);
        assert_int_not_equal(client.subscribe("+/" + device.id + "/+"), 1);
    }
}

void nested_topic_prefixes_are_refused(void**) {
    std::string outer = unique_id("pi");
    create_device(outer);
    std::string output;
    assert_int_equal(run_sarangctl("devices create --kind hydro-sensor --name " + unique_id("pi") +
                                       " --prefix hydro/" + outer + "/inner",
                                   output),
                     1);
    std::string inner_first = unique_id("pi");
    create_device(inner_first, "hydro-sensor", "--prefix deep/" + inner_first + "/leaf");
    assert_int_equal(run_sarangctl("devices create --kind hydro-sensor --name " + unique_id("pi") +
                                       " --prefix deep/" + inner_first,
                                   output),
                     1);
}

void hostile_identities_are_refused(void**) {
    for (const char* username : {"a+b", "a#", "a/b", "#", "+"}) {
        MqttClient client("hostile", 5);
        assert_int_equal(client.connect(stack_env().mqtt_port, username, "x"), refused_v5);
    }
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    MqttClient wildcard_client_id(id + "+", 5);
    assert_int_equal(wildcard_client_id.connect(stack_env().mqtt_port, id, password), refused_v5);
}

void rotation_with_grace_keeps_the_old_credential_until_it_ends(void**) {
    std::string id = unique_id("pi");
    std::string old_password = create_device(id);
    std::string output;
    auto rotated_at = Clock::now();
    assert_int_equal(run_sarangctl("devices rotate " + id + " --grace-seconds 2 --json", output),
                     0);
    std::string new_password = password_from_json(output);
    std::this_thread::sleep_for(300ms); // the rotation reaches the broker
    MqttClient old_session(id, 5);
    assert_int_equal(old_session.connect(stack_env().mqtt_port, id, old_password), 0);
    assert_false(old_session.wait_disconnected(1s)); // still inside the grace
    assert_true(old_session.wait_disconnected(3s));  // the grace ended: kicked
    auto lasted = Clock::now() - rotated_at;
    assert_true(lasted >= 2s && lasted < 4s);
    MqttClient old_again(id, 5);
    assert_int_equal(old_again.connect(stack_env().mqtt_port, id, old_password), refused_v5);
    MqttClient fresh(id, 5);
    assert_int_equal(fresh.connect(stack_env().mqtt_port, id, new_password), 0);
}

void rotation_without_grace_and_revocation_end_sessions_within_a_second(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    MqttClient session(id, 5);
    assert_int_equal(session.connect(stack_env().mqtt_port, id, password), 0);
    std::string output;
    auto rotated_at = Clock::now();
    assert_int_equal(run_sarangctl("devices rotate " + id + " --grace-seconds 0 --json", output),
                     0);
    assert_true(session.wait_disconnected(2s));
    assert_true(Clock::now() - rotated_at < 1s);
    std::string new_password = password_from_json(output);
    MqttClient fresh(id, 5);
    assert_int_equal(fresh.connect(stack_env().mqtt_port, id, new_password), 0);
    auto revoked_at = Clock::now();
    assert_int_equal(run_sarangctl("devices revoke " + id, output), 0);
    assert_true(fresh.wait_disconnected(2s));
    assert_true(Clock::now() - revoked_at < 1s);
    MqttClient after(id, 5);
    assert_int_equal(after.connect(stack_env().mqtt_port, id, new_password), refused_v5);
}

void presence_follows_the_connection_and_survives_a_takeover(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    // History from here on: create_device's probe connection came and went before this.
    std::string since(db().exec("SELECT now()::text").text(0, 0));
    assert_true(eventually(online_of(id), {}, "false"));
    auto first = std::make_unique<MqttClient>(id, 4);
    assert_int_equal(first->connect(stack_env().mqtt_port, id, password), 0);
    assert_true(eventually(online_of(id), {}, "true"));
    assert_true(eventually("SELECT (online_node IS NOT NULL)::text FROM devices WHERE id = $1",
                           {id}, "true"));
    // The same client id again: the broker admits the new connection, then drops the old one.
    auto second = std::make_unique<MqttClient>(id, 4);
    assert_int_equal(second->connect(stack_env().mqtt_port, id, password), 0);
    assert_true(first->wait_disconnected(2s));
    first.reset();
    std::this_thread::sleep_for(700ms); // more than a presence write cycle
    assert_true(eventually(online_of(id), {}, "true", 0ms));
    assert_true(eventually("SELECT count(*)::text FROM device_presence WHERE device_id = $1"
                           " AND NOT online AND at > $2",
                           {id, since}, "0", 0ms));
    second.reset(); // clean DISCONNECT
    assert_true(eventually(online_of(id), {}, "false"));
    assert_true(
        eventually("SELECT string_agg(online::text, ',' ORDER BY at, id) FROM device_presence"
                   " WHERE device_id = $1 AND at > $2",
                   {id, since}, "true,false"));
}

void devices_keep_connecting_while_postgres_is_down(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    stack_control("postgres", "stop");
    {
        MqttClient client(id, 5);
        assert_int_equal(client.connect(stack_env().mqtt_port, id, password), 0);
        assert_true(accepted(client.publish("hydro/" + id + "/reading", R"({"ph":6.1})")));
        MqttClient wrong(id, 5);
        assert_int_equal(wrong.connect(stack_env().mqtt_port, id, "wrong"), refused_v5);
    }
    stack_control("postgres", "start");
    // The telemetry writer kept the reading and the presence writer the state changes.
    assert_true(
        eventually("SELECT count(*)::text FROM readings WHERE device_id = $1", {id}, "1", 15s));
    assert_true(
        eventually("SELECT string_agg(online::text, ',' ORDER BY at, id) FROM device_presence"
                   " WHERE device_id = $1 AND at > now() - interval '1 minute'",
                   {id}, "true,false,true,false", 15s));
    // And changes made after the outage reach the broker again.
    std::string later = unique_id("pi");
    create_device(later);
}

// A user with one live session, as the REST sidecar will create them (issue #4).
struct AppLogin {
    long long user_id;
    std::string username;
    std::string token;
};

AppLogin app_login(const std::string& stem) {
    AppLogin login{0, unique_id(stem), crypto::random_token()};
    std::string pepper = pepper_from_config(stack_env().config());
    login.user_id = db().exec("INSERT INTO users (username, password_hash) VALUES ($1, $2)"
                              " RETURNING id",
                              {login.username, crypto::argon2id_hash("unused", {1, 1024, 1})})
                        .integer(0, 0);
    db().exec(
        "INSERT INTO sessions (user_id, token_hash, expires_at)"
        " VALUES ($1, decode($2, 'hex'), now() + interval '1 hour')",
        {std::to_string(login.user_id), crypto::hex_encode(credential_hash(pepper, login.token))});
    return login;
}

// The wildcard check is what refuses these: an app user's client id is otherwise free.
void an_app_session_with_a_wildcard_client_id_is_refused(void**) {
    AppLogin login = app_login("user");
    std::this_thread::sleep_for(400ms); // the session reaches the broker
    MqttClient fine("app:" + login.username, 5);
    assert_int_equal(fine.connect(stack_env().mqtt_port, login.username, login.token), 0);
    for (const char* client_id : {"app+1", "app#", "app/1"}) {
        MqttClient hostile(client_id, 5);
        assert_int_not_equal(hostile.connect(stack_env().mqtt_port, login.username, login.token),
                             0);
    }
}

void an_app_session_reads_only_its_own_devices(void**) {
    std::string mine = unique_id("pi");
    std::string theirs = unique_id("pi");
    std::string mine_password = create_device(mine);
    std::string theirs_password = create_device(theirs);
    AppLogin owner = app_login("user");
    AppLogin other = app_login("user");
    db().exec("UPDATE devices SET owner_id = $1 WHERE id = $2",
              {std::to_string(owner.user_id), mine});
    db().exec("UPDATE devices SET owner_id = $1 WHERE id = $2",
              {std::to_string(other.user_id), theirs});
    std::this_thread::sleep_for(400ms); // sessions and owners reach the broker

    MqttClient app("app:" + owner.username, 5);
    assert_int_equal(app.connect(stack_env().mqtt_port, owner.username, owner.token), 0);
    assert_int_equal(app.subscribe("hydro/" + mine + "/#"), 1);
    assert_int_equal(app.subscribe("hydro/" + mine + "/reading"), 1);
    assert_int_not_equal(app.subscribe("hydro/" + theirs + "/#"), 1);
    assert_int_not_equal(app.subscribe("hydro/+/reading"), 1);
    assert_int_not_equal(app.subscribe("#"), 1);
    assert_int_equal(app.publish("hydro/" + mine + "/config", "{}"), denied_v5); // read-only

    MqttClient device(mine, 5);
    assert_int_equal(device.connect(stack_env().mqtt_port, mine, mine_password), 0);
    assert_true(accepted(device.publish("hydro/" + mine + "/status", "online")));
    assert_true(app.wait_message("hydro/" + mine + "/status", 2s));

    // The device's last will reaches its owner: the broker checks a will against the ACL after
    // the DISCONNECT event, so the plugin must still know the connection then.
    {
        MqttClient dying(mine, 5);
        dying.set_will("hydro/" + mine + "/status", "offline");
        assert_int_equal(dying.connect(stack_env().mqtt_port, mine, mine_password), 0);
        assert_true(device.wait_disconnected(2s)); // taken over by `dying`
        dying.disconnect_with_will();
        assert_true(app.wait_message_count("hydro/" + mine + "/status", 2, 2s));
    }
    MqttClient device_again(mine, 5);
    assert_int_equal(device_again.connect(stack_env().mqtt_port, mine, mine_password), 0);

    // A wrong token, or another user's, is refused.
    MqttClient wrong("app:" + owner.username + ":wrong", 5);
    assert_int_equal(wrong.connect(stack_env().mqtt_port, owner.username, other.token), refused_v5);

    // The device changes owner: the old owner's subscription stops receiving it at once.
    db().exec("UPDATE devices SET owner_id = $1 WHERE id = $2",
              {std::to_string(other.user_id), mine});
    std::this_thread::sleep_for(400ms);
    assert_true(accepted(device_again.publish("hydro/" + mine + "/reading", R"({"ph":7})")));
    assert_false(app.wait_message("hydro/" + mine + "/reading", 700ms));

    // Logging out (revoking the session) disconnects the app within a second.
    auto revoked_at = Clock::now();
    db().exec("UPDATE sessions SET revoked_at = now() WHERE user_id = $1",
              {std::to_string(owner.user_id)});
    assert_true(app.wait_disconnected(2s));
    assert_true(Clock::now() - revoked_at < 1s);
    MqttClient again("app:" + owner.username + ":again", 5);
    assert_int_equal(again.connect(stack_env().mqtt_port, owner.username, owner.token), refused_v5);
}

void a_broker_restart_records_its_devices_offline(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    auto client = std::make_unique<MqttClient>(id, 4);
    assert_int_equal(client->connect(stack_env().mqtt_port, id, password), 0);
    assert_true(eventually(online_of(id), {}, "true"));
    stack_control("broker", "stop"); // mosquitto fires no DISCONNECT for this client
    assert_true(eventually(online_of(id), {}, "false", 0ms));
    client.reset();
    stack_control("broker", "start");
    MqttClient again(id, 4);
    assert_int_equal(again.connect(stack_env().mqtt_port, id, password), 0);
    assert_true(eventually(online_of(id), {}, "true"));
}

void a_broker_started_while_postgres_is_down_admits_devices_once_it_is_back(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    stack_control("broker", "stop");
    stack_control("postgres", "stop");
    stack_control("broker", "start"); // waits out access.initial_load_timeout_ms, then listens
    {
        MqttClient early(id, 5);
        // No CONNACK at all: the device retries, where "not authorised" would look final.
        assert_int_equal(early.connect(stack_env().mqtt_port, id, password), no_answer);
    }
    stack_control("postgres", "start");
    auto deadline = Clock::now() + 15s;
    int rc = -1;
    while (rc != 0 && Clock::now() < deadline) {
        MqttClient client(id, 5);
        rc = client.connect(stack_env().mqtt_port, id, password);
        if (rc != 0)
            std::this_thread::sleep_for(200ms);
    }
    assert_int_equal(rc, 0);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_may_use_exactly_its_topics),
        cmocka_unit_test(nested_topic_prefixes_are_refused),
        cmocka_unit_test(hostile_identities_are_refused),
        cmocka_unit_test(rotation_with_grace_keeps_the_old_credential_until_it_ends),
        cmocka_unit_test(rotation_without_grace_and_revocation_end_sessions_within_a_second),
        cmocka_unit_test(presence_follows_the_connection_and_survives_a_takeover),
        cmocka_unit_test(devices_keep_connecting_while_postgres_is_down),
        cmocka_unit_test(an_app_session_with_a_wildcard_client_id_is_refused),
        cmocka_unit_test(an_app_session_reads_only_its_own_devices),
        cmocka_unit_test(a_broker_restart_records_its_devices_offline),
        cmocka_unit_test(a_broker_started_while_postgres_is_down_admits_devices_once_it_is_back),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
