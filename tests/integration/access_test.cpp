// The access plugin against real mosquitto and PostgreSQL: the kinds' allow/deny matrix,
// hostile identities, rotation with and without grace, revocation, presence across a session
// takeover and a broker restart, and authentication while PostgreSQL is down.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/access_sync.hpp"
#include "sarang/credentials.hpp"
#include "sarang/crypto.hpp"
#include "sarang/pg.hpp"
#include "sarang/x509.hpp"
#include "stack_env.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <sys/wait.h>
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

// For rows this test writes straight to the database: the issuers' own wait (access_sync), so
// what follows runs against a broker that has them.
void brokers_applied() {
    access_sync::Outcome outcome = access_sync::await_access_applied(db());
    if (!outcome.applied)
        fail_msg("broker node(s) %s did not apply barrier %lld",
                 access_sync::describe_lagging(outcome).c_str(), outcome.barrier);
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
    brokers_applied();
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
    brokers_applied(); // sessions and owners written straight to the database

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
    brokers_applied();
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

// --- Integrations (docs/integrations.md) ---

struct IntegrationLogin {
    std::string name, username, password;
};

IntegrationLogin create_integration(const std::string& filters) {
    IntegrationLogin login;
    login.name = unique_id("lake");
    login.username = "integration:" + login.name;
    std::string output;
    assert_int_equal(
        run_sarangctl("integrations create " + login.name + " " + filters + " --json", output), 0);
    login.password = password_from_json(output);
    return login;
}

// One CONNECT at once: sarangctl integrations create|rotate exits only once every live broker
// node has the credential (read-your-writes); nullptr when refused.
std::unique_ptr<MqttClient> connect_integration(const IntegrationLogin& login,
                                                const std::string& client_id,
                                                const std::string& password) {
    auto client = std::make_unique<MqttClient>(client_id, 5);
    if (client->connect(stack_env().mqtt_port, login.username, password) != 0)
        return nullptr;
    return client;
}

void an_integration_subscribes_within_its_filters_and_never_writes(void**) {
    std::string pi = unique_id("pi");
    std::string pi_password = create_device(pi);
    IntegrationLogin lake = create_integration("--read 'hydro/+/reading' --read 'home/#'");
    std::unique_ptr<MqttClient> reader = connect_integration(lake, lake.username, lake.password);
    assert_non_null(reader.get());

    assert_int_equal(reader->subscribe("hydro/+/reading"), 1);
    assert_int_equal(reader->subscribe("hydro/" + pi + "/reading"), 1);
    assert_int_equal(reader->subscribe("home/+/status"), 1);
    for (const char* outside : {"hydro/#", "hydro/+/status", "hydro/+/+", "#", "+/+/reading",
                                "vm/+/telemetry", "$SYS/#", "sarang/#", "$share/g/hydro/#"})
        assert_int_not_equal(reader->subscribe(outside), 1);
    assert_int_equal(reader->publish("hydro/" + pi + "/config", "{}"), denied_v5);
    assert_int_equal(reader->publish("hydro/" + pi + "/reading", R"({"ph":7})"), denied_v5);

    MqttClient device(pi, 5);
    assert_int_equal(device.connect(stack_env().mqtt_port, pi, pi_password), 0);
    assert_true(accepted(device.publish("hydro/" + pi + "/reading", R"({"ph":6.5})")));
    assert_true(reader->wait_message("hydro/" + pi + "/reading", 2s));

    // The namespace and the client-id rule: a device's id, another integration's ids, a wrong
    // credential and an unknown name are refused.
    for (const std::string& client_id : {pi, std::string("integration:someone-else"),
                                         lake.username + "x", std::string("plain-id")}) {
        MqttClient hostile(client_id, 5);
        assert_int_equal(hostile.connect(stack_env().mqtt_port, lake.username, lake.password),
                         refused_v5);
    }
    MqttClient wrong(lake.username + ":2", 5);
    assert_int_equal(wrong.connect(stack_env().mqtt_port, lake.username, pi_password), refused_v5);
    MqttClient unknown("integration:nobody-here", 5);
    assert_int_equal(
        unknown.connect(stack_env().mqtt_port, "integration:nobody-here", lake.password),
        refused_v5);
    // The device itself is untouched by all this.
    assert_true(accepted(device.publish("hydro/" + pi + "/status", "online")));
}

void a_shared_subscription_splits_an_integrations_messages(void**) {
    std::string pi = unique_id("pi");
    std::string pi_password = create_device(pi);
    IntegrationLogin lake = create_integration("--read 'hydro/+/reading'");
    std::unique_ptr<MqttClient> first =
        connect_integration(lake, lake.username + ":1", lake.password);
    assert_non_null(first.get());
    std::unique_ptr<MqttClient> second =
        connect_integration(lake, lake.username + ":2", lake.password);
    assert_non_null(second.get());
    std::unique_ptr<MqttClient> plain =
        connect_integration(lake, lake.username + ":plain", lake.password);
    assert_non_null(plain.get());
    assert_int_equal(first->subscribe("$share/lake/hydro/+/reading"), 1);
    assert_int_equal(second->subscribe("$share/lake/hydro/+/reading"), 1);
    assert_int_equal(plain->subscribe("hydro/" + pi + "/reading"), 1);

    MqttClient device(pi, 5);
    assert_int_equal(device.connect(stack_env().mqtt_port, pi, pi_password), 0);
    const std::string topic = "hydro/" + pi + "/reading";
    constexpr size_t sent = 10;
    for (size_t i = 0; i < sent; ++i)
        assert_true(accepted(device.publish(topic, R"({"ph":7})")));
    assert_true(plain->wait_message_count(topic, sent, 3s));
    auto deadline = Clock::now() + 3s;
    while (first->payloads(topic).size() + second->payloads(topic).size() < sent &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    // Each message went to one member of the group: the two share the ten.
    assert_int_equal(first->payloads(topic).size() + second->payloads(topic).size(), sent);
    assert_true(first->payloads(topic).size() < sent);
    assert_true(second->payloads(topic).size() < sent);
}

void rotating_or_revoking_an_integration_ends_its_sessions_within_a_second(void**) {
    IntegrationLogin lake = create_integration("--read 'hydro/#'");
    std::unique_ptr<MqttClient> session = connect_integration(lake, lake.username, lake.password);
    assert_non_null(session.get());

    std::string output;
    auto rotated_at = Clock::now();
    assert_int_equal(run_sarangctl("integrations rotate " + lake.name + " --json", output), 0);
    assert_true(session->wait_disconnected(2s));
    assert_true(Clock::now() - rotated_at < 1s);
    std::string new_password = password_from_json(output);
    MqttClient old(lake.username + ":old", 5);
    assert_int_equal(old.connect(stack_env().mqtt_port, lake.username, lake.password), refused_v5);
    std::unique_ptr<MqttClient> fresh = connect_integration(lake, lake.username, new_password);
    assert_non_null(fresh.get());
    assert_int_equal(fresh->subscribe("hydro/+/reading"), 1);

    auto revoked_at = Clock::now();
    assert_int_equal(run_sarangctl("integrations revoke " + lake.name, output), 0);
    assert_true(fresh->wait_disconnected(2s));
    assert_true(Clock::now() - revoked_at < 1s);
    MqttClient after(lake.username + ":after", 5);
    assert_int_equal(after.connect(stack_env().mqtt_port, lake.username, new_password), refused_v5);
    assert_int_equal(run_sarangctl("integrations list", output), 0);
    assert_true(output.find(lake.name) != std::string::npos);
    assert_true(output.find("revoked") != std::string::npos);
    assert_int_not_equal(run_sarangctl("integrations rotate " + lake.name, output), 0);
}

// Debian's own client, as a user would run it: mosquitto_sub (package mosquitto-clients).
struct SubProcess {
    int status = -1;
    std::string output;
};

void run_mosquitto_sub(const std::string& arguments, SubProcess& result) {
    std::string command = "mosquitto_sub -h 127.0.0.1 -p " + std::to_string(stack_env().mqtt_port) +
                          " -V mqttv5 " + arguments + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        return;
    char buffer[1024];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        result.output.append(buffer, got);
    int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void mosquitto_sub_reads_as_an_integration(void**) {
    std::string pi = unique_id("pi");
    std::string pi_password = create_device(pi);
    IntegrationLogin lake = create_integration("--read 'hydro/+/reading'");
    assert_non_null(connect_integration(lake, lake.username + ":probe", lake.password).get());
    std::string credentials = " -u '" + lake.username + "' -P '" + lake.password + "'";

    // A shared subscription with a wildcard across devices; exits after one message (-C 1).
    SubProcess reading;
    std::thread sub([&] {
        run_mosquitto_sub("-i '" + lake.username + ":sub'" + credentials +
                              " -t '$share/telegraf/hydro/+/reading' -v -C 1 -W 10",
                          reading);
    });
    MqttClient device(pi, 5);
    assert_int_equal(device.connect(stack_env().mqtt_port, pi, pi_password), 0);
    // Publish until mosquitto_sub (once subscribed) has one and exits, at most ten seconds.
    std::atomic<bool> done = false;
    std::thread publisher([&] {
        auto deadline = Clock::now() + 10s;
        while (!done && Clock::now() < deadline) {
            device.publish("hydro/" + pi + "/reading", R"({"ph":6.8})");
            std::this_thread::sleep_for(100ms);
        }
    });
    sub.join();
    done = true;
    publisher.join();
    assert_int_equal(reading.status, 0);
    assert_true(reading.output.find("hydro/" + pi + "/reading {\"ph\":6.8}") != std::string::npos);

    // A filter outside the list: the broker refuses the subscription and mosquitto_sub says so
    // (-E: it leaves once the SUBACK is in; its exit status is 0 either way).
    SubProcess outside;
    run_mosquitto_sub("-i '" + lake.username + ":sub'" + credentials + " -t 'hydro/#' -E -W 5",
                      outside);
    if (outside.output.find("All subscription requests were denied") == std::string::npos)
        fail_msg("mosquitto_sub said: %s", outside.output.c_str());
}

void an_admin_app_session_reads_every_device(void**) {
    std::string pi = unique_id("pi");
    std::string pi_password = create_device(pi);
    AppLogin admin = app_login("admin");
    db().exec("UPDATE users SET role = 'admin' WHERE id = $1", {std::to_string(admin.user_id)});
    auto deadline = Clock::now() + 3s;
    std::unique_ptr<MqttClient> app;
    for (;;) { // the session and the role reach the broker
        app = std::make_unique<MqttClient>("app:" + admin.username, 5);
        if (app->connect(stack_env().mqtt_port, admin.username, admin.token) == 0 &&
            app->subscribe("hydro/+/reading") == 1)
            break;
        assert_true(Clock::now() < deadline);
        std::this_thread::sleep_for(25ms);
    }
    assert_int_equal(app->subscribe("#"), 1);
    assert_int_not_equal(app->subscribe("$SYS/#"), 1);
    assert_int_equal(app->publish("hydro/" + pi + "/config", "{}"), denied_v5); // read-only

    MqttClient device(pi, 5);
    assert_int_equal(device.connect(stack_env().mqtt_port, pi, pi_password), 0);
    assert_true(accepted(device.publish("hydro/" + pi + "/reading", R"({"ph":7})")));
    assert_true(app->wait_message("hydro/" + pi + "/reading", 2s));

    // Demoted: the same session reads only what it owns (nothing) from the next message on.
    db().exec("UPDATE users SET role = 'user' WHERE id = $1", {std::to_string(admin.user_id)});
    auto demoted_deadline = Clock::now() + 3s;
    for (;;) {
        MqttClient probe("app:" + admin.username + ":probe", 5);
        assert_int_equal(probe.connect(stack_env().mqtt_port, admin.username, admin.token), 0);
        if (probe.subscribe("hydro/+/reading") != 1)
            break;
        assert_true(Clock::now() < demoted_deadline);
        std::this_thread::sleep_for(25ms);
    }
    size_t before = app->payloads("hydro/" + pi + "/status").size();
    assert_true(accepted(device.publish("hydro/" + pi + "/status", "online")));
    assert_false(app->wait_message_count("hydro/" + pi + "/status", before + 1, 500ms));
}

// Read-your-writes at issuance (issue #18 item 2): every way a credential is handed out answers
// only once every live broker node has it, so a CONNECT made at once is admitted.
struct IssueAndConnect {
    int rounds = 0;
    std::vector<double> issue_ms; // issuance latency, as the caller sees it
    std::vector<std::string> refused;
};

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))];
}

// A worker's own identities: an app account, a parcel box it owns (generate-token) and a
// device to rotate, so the workers never take over each other's connections.
struct Issuer {
    AppAccount account;
    std::string box, device;
};

Issuer make_issuer(const std::string& stem) {
    Issuer issuer{create_account(unique_id(stem)), unique_id("box"), unique_id("pi")};
    create_device(issuer.box, "parcel-box", "--owner " + issuer.account.username);
    create_device(issuer.device);
    return issuer;
}

// One issuance of the kind `round` picks, then a CONNECT (MQTT 3.1.1) at once on `port`; what
// went wrong, or nothing.
std::optional<std::string> issue_then_connect(const Issuer& issuer, int round, int port,
                                              IssueAndConnect& out) {
    std::string id, password, client_id;
    auto started = Clock::now();
    switch (round % 8) {
    case 0: { // a login: the session is the user's MQTT password
        HttpResult answer = login(issuer.account.username, issuer.account.password);
        if (answer.status != 200)
            return "login answered " + std::to_string(answer.status) + " " + answer.body;
        id = issuer.account.username;
        password = json_field(answer.body, "token");
        client_id = "app:" + id;
        break;
    }
    case 1:
    case 2: { // POST /api/device/generate-token
        HttpResult answer = api_post("/api/device/generate-token?deviceId=" + issuer.box, "{}",
                                     issuer.account.token);
        if (answer.status != 200)
            return "generate-token answered " + std::to_string(answer.status) + " " + answer.body;
        id = client_id = issuer.box;
        password = json_field(answer.body, "token");
        break;
    }
    case 3: { // sarangctl devices create
        id = client_id = unique_id("pi");
        std::string output;
        if (run_sarangctl("devices create --json --kind hydro-sensor --name " + id, output) != 0)
            return "devices create failed: " + output;
        password = password_from_json(output);
        break;
    }
    default: { // sarangctl devices rotate, without a grace: only the new credential works
        id = client_id = issuer.device;
        std::string output;
        if (run_sarangctl("devices rotate " + id + " --grace-seconds 0 --json", output) != 0)
            return "devices rotate failed: " + output;
        password = password_from_json(output);
        break;
    }
    }
    out.issue_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    MqttClient client(client_id, 4);
    int rc = client.connect(port, id, password);
    if (rc != 0)
        return "CONNACK " + std::to_string(rc) + " for " + id + " (round " + std::to_string(round) +
               ")";
    return std::nullopt;
}

// `rounds` round trips, one thread per issuer; round r of worker w connects to
// ports[(r + w) % size].
IssueAndConnect run_round_trips(std::vector<Issuer>& issuers, int rounds,
                                const std::vector<int>& ports) {
    std::vector<IssueAndConnect> results(issuers.size());
    std::vector<std::thread> threads;
    int per_worker = rounds / static_cast<int>(issuers.size());
    for (std::size_t w = 0; w < issuers.size(); ++w)
        threads.emplace_back([&, w] {
            for (int round = 0; round < per_worker; ++round) {
                ++results[w].rounds;
                int port = ports[(round + w) % ports.size()];
                if (auto problem = issue_then_connect(issuers[w], round + static_cast<int>(w), port,
                                                      results[w]))
                    results[w].refused.push_back(*problem);
            }
        });
    for (std::thread& thread : threads)
        thread.join();
    IssueAndConnect all;
    for (IssueAndConnect& result : results) {
        all.rounds += result.rounds;
        all.issue_ms.insert(all.issue_ms.end(), result.issue_ms.begin(), result.issue_ms.end());
        all.refused.insert(all.refused.end(), result.refused.begin(), result.refused.end());
    }
    return all;
}

void report(const char* what, const IssueAndConnect& result, Clock::duration took) {
    print_message("%s: %d round trips, %zu refused, issuance p50 %.1f ms p99 %.1f ms, %.1f s\n",
                  what, result.rounds, result.refused.size(), percentile(result.issue_ms, 0.5),
                  percentile(result.issue_ms, 0.99), std::chrono::duration<double>(took).count());
    for (std::size_t i = 0; i < std::min<std::size_t>(result.refused.size(), 5); ++i)
        print_message("  %s\n", result.refused[i].c_str());
}

void a_credential_works_the_moment_it_is_handed_out(void**) {
    std::vector<Issuer> issuers;
    for (int w = 0; w < 8; ++w)
        issuers.push_back(make_issuer("rtt"));
    auto started = Clock::now();
    IssueAndConnect result = run_round_trips(issuers, 1000, {stack_env().mqtt_port});
    report("one node", result, Clock::now() - started);
    assert_int_equal(result.rounds, 1000);
    assert_int_equal(result.refused.size(), 0);
    // The wait alone (barrier NOTIFY -> loader -> one broker tick -> access_nodes -> poll),
    // without the issuers' own work.
    std::vector<double> barrier_ms;
    for (int i = 0; i < 50; ++i) {
        access_sync::Outcome outcome = access_sync::await_access_applied(db());
        assert_true(outcome.applied);
        barrier_ms.push_back(outcome.waited.count() / 1000.0);
    }
    print_message("barrier wait alone: p50 %.1f ms p99 %.1f ms\n", percentile(barrier_ms, 0.5),
                  percentile(barrier_ms, 0.99));
}

int second_node_port() {
    const char* port = std::getenv("SARANG_TEST_MQTT2_PORT");
    if (port == nullptr)
        fail_msg("SARANG_TEST_MQTT2_PORT is not set (with_stack.sh sets it)");
    return std::atoi(port);
}

void issuance_waits_for_every_live_broker_node_and_only_those(void**) {
    stack_control("broker2", "start");
    // This node and the second one, each with a fresh heartbeat.
    assert_true(eventually("SELECT count(*) FROM access_nodes"
                           " WHERE heartbeat_at > now() - interval '3 s'",
                           {}, "2", 10s));
    std::vector<Issuer> issuers;
    for (int w = 0; w < 4; ++w)
        issuers.push_back(make_issuer("two"));
    auto started = Clock::now();
    IssueAndConnect result =
        run_round_trips(issuers, 200, {stack_env().mqtt_port, second_node_port()});
    report("two nodes", result, Clock::now() - started);
    assert_int_equal(result.refused.size(), 0);

    // A node that stops cleanly leaves at once; a live node that lags makes issuance fail
    // clearly; a node that is down (stale heartbeat) never blocks it.
    stack_control("broker2", "stop");
    assert_true(
        eventually("SELECT count(*) FROM access_nodes WHERE node = 'second-node'", {}, "0", 0ms));
    db().exec("INSERT INTO access_nodes (node, applied_barrier, started_at, heartbeat_at)"
              " VALUES ('lagging-node', 0, now(), now() + interval '1 hour')");
    std::string output;
    auto waited_from = Clock::now();
    assert_int_equal(run_sarangctl("devices rotate " + issuers[0].device + " --json 2>&1", output),
                     3);
    assert_true(Clock::now() - waited_from >= 2s);
    assert_non_null(std::strstr(output.c_str(), "lagging-node"));
    HttpResult lagging = api_post("/api/device/generate-token?deviceId=" + issuers[0].box, "{}",
                                  issuers[0].account.token);
    assert_int_equal(lagging.status, 503);
    assert_string_equal(json_field(lagging.body, "code").c_str(), "brokers_not_ready");

    db().exec("UPDATE access_nodes SET heartbeat_at = now() - interval '1 minute'"
              " WHERE node = 'lagging-node'");
    waited_from = Clock::now();
    assert_int_equal(run_sarangctl("devices rotate " + issuers[0].device + " --json", output), 0);
    assert_true(Clock::now() - waited_from < 1s);
    MqttClient at_once(issuers[0].device, 4);
    assert_int_equal(
        at_once.connect(stack_env().mqtt_port, issuers[0].device, password_from_json(output)), 0);
    db().exec("DELETE FROM access_nodes WHERE node = 'lagging-node'");
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

// ---- Device certificates (mutual TLS; issue #19 item 3) ----

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

// A folder in the stack's state folder (removed with it).
std::string cert_dir() {
    static std::string dir = [] {
        std::string path = std::string(std::getenv("SARANG_TEST_STATE")) + "/device-certs";
        std::filesystem::create_directories(path);
        return path;
    }();
    return dir;
}

// `sarangctl devices cert ID --generate`: DIR/ID.key and DIR/ID.crt.
void issue_certificate(const std::string& id) {
    std::string output;
    assert_int_equal(
        run_sarangctl("devices cert " + id + " --generate --out-dir " + cert_dir(), output), 0);
}

// A client of the mTLS listener presenting `certificate` (a path stem: .crt and .key).
std::unique_ptr<MqttClient> mtls_client(const std::string& client_id, const std::string& stem) {
    auto client = std::make_unique<MqttClient>(client_id, 5);
    assert_true(client->set_tls(stack_env().mtls_server_ca, stem + ".crt", stem + ".key"));
    return client;
}

void a_device_certificate_connects_with_the_same_acl_and_presence(void**) {
    assert_true(stack_env().mqtt_mtls_port > 0);
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    issue_certificate(id);
    std::string stem = cert_dir() + "/" + id;
    // No username: the certificate names the device.
    auto device = mtls_client(id, stem);
    assert_int_equal(device->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    assert_true(eventually(online_of(id), {}, "true"));
    assert_true(accepted(device->publish("hydro/" + id + "/reading", "{\"ph\":6.5}")));
    assert_int_equal(device->publish("hydro/" + id + "/config", "{}"), denied_v5);
    assert_int_equal(device->subscribe("hydro/" + id + "/config"), 1);
    assert_int_equal(device->subscribe("hydro/#"), 0x87);
    // The same device with its username, and with another device's: the latter is refused.
    auto named = mtls_client(id, stem);
    assert_int_equal(named->connect(stack_env().mqtt_mtls_port, id, ""), 0);
    std::string other = unique_id("pi");
    create_device(other);
    auto impostor = mtls_client(other, stem);
    assert_int_equal(impostor->connect(stack_env().mqtt_mtls_port, other, ""), refused_v5);
    // The password credential keeps working beside it.
    {
        MqttClient plain(id, 5);
        assert_int_equal(plain.connect(stack_env().mqtt_port, id, password), 0);
        assert_true(accepted(plain.publish("hydro/" + id + "/reading", "{\"ph\":6.6}")));
    }
    named.reset();
    device.reset();
    assert_true(eventually(online_of(id), {}, "false"));
}

void certificates_the_broker_must_refuse(void**) {
    std::string id = unique_id("pi");
    create_device(id);
    x509::Authority ca{
        x509::certificate_from_pem(read_text(stack_env().tls_dir + "/device-ca.crt")),
        x509::private_key_from_pem(read_text(stack_env().tls_dir + "/device-ca.key"))};
    // Each signed for this device and registered in device_certificates, so only the property
    // named is what the broker refuses it for.
    auto make = [&](const std::string& name, const x509::Authority& signer,
                    const x509::Validity& validity, bool registered) {
        x509::Key key = x509::generate_key();
        x509::Request request = x509::make_request(key.get(), id);
        x509::Certificate certificate = x509::sign_csr(signer, request.get(), id, validity);
        std::string stem = cert_dir() + "/" + name;
        write_text(stem + ".crt", x509::to_pem(certificate.get()));
        write_text(stem + ".key", x509::private_key_pem(key.get()));
        if (registered)
            db().exec("INSERT INTO device_certificates (fingerprint, device_id, serial, not_after)"
                      " VALUES (decode($1, 'hex'), $2, 'test', now() + interval '1 day')",
                      {x509::fingerprint_sha256_hex(certificate.get()), id});
        return stem;
    };
    x509::Authority stranger = x509::make_authority("Not Sarang", x509::Validity::days(1));
    std::string other_ca = make(id + "-other-ca", stranger, x509::Validity::days(1), true);
    std::string expired = make(id + "-expired", ca, {-2 * 86400, -86400}, true);
    std::string unregistered = make(id + "-unregistered", ca, x509::Validity::days(1), false);
    brokers_applied();
    // The TLS handshake fails: no CONNACK at all.
    assert_int_not_equal(mtls_client(id, other_ca)->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    assert_int_not_equal(mtls_client(id, expired)->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    // Signed by the device CA with the device's CN, but never issued: the fingerprint decides.
    assert_int_equal(mtls_client(id, unregistered)->connect(stack_env().mqtt_mtls_port, "", ""),
                     refused_v5);
    // No certificate at all on the mTLS listener.
    MqttClient bare(id, 5);
    assert_true(bare.set_tls(stack_env().mtls_server_ca));
    assert_int_not_equal(bare.connect(stack_env().mqtt_mtls_port, "", ""), 0);
}

void revoking_a_certificate_or_its_device_ends_the_session_within_a_second(void**) {
    std::string id = unique_id("pi");
    create_device(id);
    issue_certificate(id);
    std::string stem = cert_dir() + "/" + id;
    std::string fingerprint(db().exec("SELECT encode(fingerprint, 'hex') FROM device_certificates"
                                      " WHERE device_id = $1",
                                      {id})
                                .text(0, 0));
    auto session = mtls_client(id, stem);
    assert_int_equal(session->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    std::string output;
    auto revoked_at = Clock::now();
    assert_int_equal(
        run_sarangctl("devices cert-revoke " + id + " --fingerprint " + fingerprint, output), 0);
    assert_true(session->wait_disconnected(2s));
    auto took = Clock::now() - revoked_at;
    print_message("certificate revoke -> disconnect: %lld ms\n",
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    assert_true(took < 1s);
    assert_int_equal(mtls_client(id, stem)->connect(stack_env().mqtt_mtls_port, "", ""),
                     refused_v5);
    assert_int_not_equal(run_sarangctl("devices cert-revoke " + id, output), 0); // none left

    // A valid certificate of a device that is then revoked.
    std::string revoked = unique_id("pi");
    create_device(revoked);
    issue_certificate(revoked);
    std::string revoked_stem = cert_dir() + "/" + revoked;
    auto live = mtls_client(revoked, revoked_stem);
    assert_int_equal(live->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    revoked_at = Clock::now();
    assert_int_equal(run_sarangctl("devices revoke " + revoked, output), 0);
    assert_true(live->wait_disconnected(2s));
    assert_true(Clock::now() - revoked_at < 1s);
    assert_int_equal(
        mtls_client(revoked, revoked_stem)->connect(stack_env().mqtt_mtls_port, "", ""),
        refused_v5);
}

// TLS checks a certificate's dates only at the handshake: the plugin ends the session when the
// certificate expires (housekeeping, about once a second).
void a_session_ends_when_its_certificate_expires(void**) {
    std::string id = unique_id("pi");
    create_device(id);
    x509::Authority ca{
        x509::certificate_from_pem(read_text(stack_env().tls_dir + "/device-ca.crt")),
        x509::private_key_from_pem(read_text(stack_env().tls_dir + "/device-ca.key"))};
    x509::Key key = x509::generate_key();
    x509::Request request = x509::make_request(key.get(), id);
    x509::Certificate certificate = x509::sign_csr(ca, request.get(), id, {-300, 5});
    auto expires = Clock::now() + 5s;
    std::string stem = cert_dir() + "/" + id + "-short";
    write_text(stem + ".crt", x509::to_pem(certificate.get()));
    write_text(stem + ".key", x509::private_key_pem(key.get()));
    db().exec("INSERT INTO device_certificates (fingerprint, device_id, serial, not_after)"
              " VALUES (decode($1, 'hex'), $2, 'test', now() + interval '5 seconds')",
              {x509::fingerprint_sha256_hex(certificate.get()), id});
    brokers_applied();
    auto session = mtls_client(id, stem);
    assert_int_equal(session->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    assert_true(session->wait_disconnected(8s));
    auto late = Clock::now() - expires;
    print_message("certificate expiry -> disconnect: %lld ms after not_after\n",
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(late).count()));
    assert_true(late > -500ms && late < 2s);
}

void sarangctl_signs_only_sound_csrs(void**) {
    std::string id = unique_id("pi");
    create_device(id);
    std::string output;
    // A CSR with someone else's subject: the certificate names the device all the same.
    x509::Key key = x509::generate_key();
    x509::Request request = x509::make_request(key.get(), "someone-else");
    std::string request_pem = x509::to_pem(request.get());
    std::string csr = cert_dir() + "/" + id + ".csr";
    write_text(csr, request_pem);
    std::string certificate = cert_dir() + "/" + id + "-signed.crt";
    assert_int_equal(
        run_sarangctl("devices cert " + id + " --csr " + csr + " --out " + certificate, output), 0);
    x509::Certificate issued = x509::certificate_from_pem(read_text(certificate));
    assert_string_equal(x509::subject_common_name(issued.get()).c_str(), id.c_str());
    assert_int_equal(db().exec("SELECT count(*) FROM device_certificates WHERE device_id = $1"
                               " AND fingerprint = decode($2, 'hex')",
                               {id, x509::fingerprint_sha256_hex(issued.get())})
                         .integer(0, 0),
                     1);
    write_text(cert_dir() + "/" + id + ".key", x509::private_key_pem(key.get()));
    std::rename(certificate.c_str(), (cert_dir() + "/" + id + ".crt").c_str());
    auto device = mtls_client(id, cert_dir() + "/" + id);
    assert_int_equal(device->connect(stack_env().mqtt_mtls_port, "", ""), 0);
    // A tampered CSR (its signature no longer verifies), garbage, an unknown device.
    std::string tampered = request_pem;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    write_text(csr, tampered);
    assert_int_not_equal(run_sarangctl("devices cert " + id + " --csr " + csr, output), 0);
    write_text(csr, "not a csr\n");
    assert_int_not_equal(run_sarangctl("devices cert " + id + " --csr " + csr, output), 0);
    write_text(csr, request_pem);
    assert_int_not_equal(run_sarangctl("devices cert nobody-" + id + " --csr " + csr, output), 0);
    assert_int_equal(
        db().exec("SELECT count(*) FROM device_certificates WHERE device_id = $1", {id})
            .integer(0, 0),
        1);
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
        cmocka_unit_test(an_integration_subscribes_within_its_filters_and_never_writes),
        cmocka_unit_test(a_shared_subscription_splits_an_integrations_messages),
        cmocka_unit_test(rotating_or_revoking_an_integration_ends_its_sessions_within_a_second),
        cmocka_unit_test(mosquitto_sub_reads_as_an_integration),
        cmocka_unit_test(an_admin_app_session_reads_every_device),
        cmocka_unit_test(a_credential_works_the_moment_it_is_handed_out),
        cmocka_unit_test(issuance_waits_for_every_live_broker_node_and_only_those),
        cmocka_unit_test(a_broker_restart_records_its_devices_offline),
        cmocka_unit_test(a_broker_started_while_postgres_is_down_admits_devices_once_it_is_back),
        cmocka_unit_test(a_device_certificate_connects_with_the_same_acl_and_presence),
        cmocka_unit_test(certificates_the_broker_must_refuse),
        cmocka_unit_test(revoking_a_certificate_or_its_device_ends_the_session_within_a_second),
        cmocka_unit_test(a_session_ends_when_its_certificate_expires),
        cmocka_unit_test(sarangctl_signs_only_sound_csrs),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
