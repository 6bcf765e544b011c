// Self-registration through the broker (plugins/provision) against real mosquitto and
// PostgreSQL: a fresh device registers and reconnects as itself; a factory reset with the label
// PIN re-keys it; and the attacks: the factory secret used to take over an existing device,
// wrong PINs past the limit, the claim identity outside its own topics, a factory secret after
// its rotation grace.
#include "mqtt_client.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

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

std::string field_of(const std::string& body, const char* name) {
    std::string error;
    json::Ptr parsed = json::parse(body, error);
    json_t* value = parsed ? json_object_get(parsed.get(), name) : nullptr;
    if (json_is_string(value))
        return json_string_value(value);
    if (json_is_integer(value))
        return std::to_string(json_integer_value(value));
    return "";
}

std::string new_factory_secret(const std::string& verb = "create", const std::string& extra = "") {
    std::string output;
    assert_int_equal(run_sarangctl("factory-secret " + verb + " --json " + extra, output), 0);
    std::string secret = field_of(output, "factory_secret");
    assert_int_equal(secret.size(), 43);
    // The broker learns of it through NOTIFY and its next tick.
    std::this_thread::sleep_for(300ms);
    return secret;
}

const std::string& factory_secret() {
    static const std::string secret = new_factory_secret();
    return secret;
}

// A claimant: connected as $provision with the factory secret, subscribed to its answers.
struct Claimant {
    std::string client_id;
    MqttClient mqtt;
    explicit Claimant(const std::string& id, const std::string& secret = factory_secret())
        : client_id(id), mqtt(id, 5) {
        assert_int_equal(mqtt.connect(stack_env().mqtt_port, "$provision", secret), 0);
        assert_int_equal(mqtt.subscribe(response()), 1);
    }
    std::string request() const { return "sarang/provision/" + client_id + "/request"; }
    std::string response() const { return "sarang/provision/" + client_id + "/response"; }
    // Publishes a request and returns the answer.
    std::string ask(const std::string& body) {
        assert_true(accepted(mqtt.publish(request(), body)));
        std::optional<std::string> answer = mqtt.next_payload(response(), 10s);
        assert_true(answer.has_value());
        return *answer;
    }
    std::string register_device(const std::string& mac, const std::string& pin) {
        return ask("{\"device_id\":\"" + mac + "\",\"pin_code\":\"" + pin + "\"}");
    }
};

// Connects as the device at once: the registrar answers only once every live broker node has
// the credential.
int connect_device(MqttClient& client, const std::string& id, const std::string& password) {
    return client.connect(stack_env().mqtt_port, id, password);
}

std::string cell(const std::string& sql, const pg::Params& params) {
    pg::Result rows = db().exec(sql, params);
    return rows.rows() > 0 ? std::string(rows.text(0, 0)) : "(no row)";
}

void a_fresh_device_registers_itself_and_reconnects_as_itself(void**) {
    Claimant claimant("boot:441D64BE2208");
    // Seed 000's firmware sends the MAC without colons; one with colons is normalised.
    std::string answer = claimant.register_device("44:1d:64:be:22:08", "4821");
    assert_string_equal(field_of(answer, "status").c_str(), "registered");
    assert_string_equal(field_of(answer, "device_id").c_str(), "441D64BE2208");
    assert_string_equal(field_of(answer, "username").c_str(), "441D64BE2208");
    assert_string_equal(field_of(answer, "topic_prefix").c_str(), "relay/441D64BE2208");
    std::string password = field_of(answer, "password");
    assert_int_equal(password.size(), 43);

    MqttClient device("441D64BE2208", 5);
    assert_int_equal(connect_device(device, "441D64BE2208", password), 0);
    assert_true(accepted(device.publish("relay/441D64BE2208/state", "{\"on\":true}")));

    // Hashed at rest: neither the credential nor the PIN is stored in clear.
    assert_string_equal(
        cell("SELECT left(pin_hash, 10) FROM devices WHERE id = $1", {"441D64BE2208"}).c_str(),
        "$argon2id$");
    assert_string_equal(cell("SELECT (position($2 in encode(credential_hash, 'escape')) = 0)::text"
                             " FROM devices WHERE id = $1",
                             {"441D64BE2208", password})
                            .c_str(),
                        "true");
    assert_string_equal(cell("SELECT state || ' ' || registered_via || ' ' ||"
                             " (owner_id IS NULL)::text FROM devices WHERE id = $1",
                             {"441D64BE2208"})
                            .c_str(),
                        "registered mqtt true");
    // Audited, with the claimant and the factory secret, never a secret.
    assert_string_equal(cell("SELECT outcome || ' ' || (detail->>'result') || ' ' ||"
                             " (detail->>'client_id') FROM audit_log"
                             " WHERE action = 'auto_register' AND username = $1 ORDER BY id",
                             {"441D64BE2208"})
                            .c_str(),
                        "success registered boot:441D64BE2208");
    assert_string_equal(
        cell("SELECT count(*)::text FROM audit_log WHERE detail::text LIKE '%' || $1 || '%'",
             {password})
            .c_str(),
        "0");
}

void bad_requests_get_a_clear_error_and_change_nothing(void**) {
    Claimant claimant("boot:bad-requests");
    std::string answer = claimant.ask("not json");
    assert_string_equal(field_of(answer, "code").c_str(), "invalid_request");
    answer = claimant.ask("{\"device_id\":\"A4CF12EF5678\"}");
    assert_string_equal(field_of(answer, "code").c_str(), "validation_failed");
    answer = claimant.register_device("pi-1", "4821");
    assert_string_equal(field_of(answer, "field").c_str(), "device_id");
    answer = claimant.register_device("A4CF12EF5678", "1");
    assert_string_equal(field_of(answer, "field").c_str(), "pin_code");
    assert_string_equal(
        cell("SELECT count(*)::text FROM devices WHERE id = $1", {"A4CF12EF5678"}).c_str(), "0");
}

// Issue #21 item 2: poisoned requests (not UTF-8, near the size limit, wrong JSON types) are
// each answered with an error; the good request after them registers.
void poisoned_requests_never_stop_the_registrar(void**) {
    Claimant claimant("boot:poison");
    for (const std::string& poison :
         {std::string("\xFF\xFE\xFD\xFC"),
          R"({"device_id":"A4CF12EF9999","pin_code":")" + std::string(900, '1') + "\xC3\"}",
          std::string(R"({"device_id":["A4CF12EF9999"],"pin_code":4821,"kind":{}})")}) {
        std::string answer = claimant.ask(poison);
        assert_string_equal(field_of(answer, "status").c_str(), "error");
    }
    std::string answer = claimant.register_device("A4CF12EF9999", "4821");
    assert_string_equal(field_of(answer, "status").c_str(), "registered");
}

// The attack of thingsboard#10261 and the anchors: whoever holds the factory secret (it is in
// every firmware image) asks for an existing device. Nothing is handed out; the device, its
// credential and its owner stay as they were.
void the_factory_secret_cannot_take_over_an_existing_device(void**) {
    Claimant owner_side("boot:victim");
    std::string answer = owner_side.register_device("B8D61A0C0001", "7305");
    assert_string_equal(field_of(answer, "status").c_str(), "registered");
    std::string password = field_of(answer, "password");
    db().exec("INSERT INTO users (username, password_hash) VALUES ('victim-owner', 'x')");
    db().exec("UPDATE devices SET owner_id = (SELECT id FROM users WHERE username ="
              " 'victim-owner'), state = 'claimed' WHERE id = 'B8D61A0C0001'");

    Claimant attacker("boot:attacker");
    answer = attacker.register_device("B8D61A0C0001", "0000");
    assert_string_equal(field_of(answer, "status").c_str(), "error");
    assert_string_equal(field_of(answer, "code").c_str(), "invalid_pin");
    assert_string_equal(field_of(answer, "password").c_str(), "");
    // Asking again, the way thingsboard answered repeated requests with the token: still nothing.
    answer = attacker.register_device("B8D61A0C0001", "0000");
    assert_string_equal(field_of(answer, "password").c_str(), "");

    MqttClient device("B8D61A0C0001", 5);
    assert_int_equal(connect_device(device, "B8D61A0C0001", password), 0);
    assert_string_equal(cell("SELECT u.username || ' ' || d.state FROM devices d JOIN users u"
                             " ON u.id = d.owner_id WHERE d.id = 'B8D61A0C0001'",
                             {})
                            .c_str(),
                        "victim-owner claimed");
    assert_string_equal(cell("SELECT count(*)::text FROM audit_log WHERE action ="
                             " 'auto_register' AND username = 'B8D61A0C0001'"
                             " AND outcome = 'failure'",
                             {})
                            .c_str(),
                        "2");

    // A device registered by an admin has no label PIN: the factory secret never re-keys it.
    std::string output;
    assert_int_equal(
        run_sarangctl("devices create --json --kind relay --name B8D61A0C0002", output), 0);
    answer = attacker.register_device("B8D61A0C0002", "0000");
    assert_string_equal(field_of(answer, "code").c_str(), "not_reregistrable");
    assert_string_equal(field_of(answer, "password").c_str(), "");
}

// thingsboard#8385/#15513: re-provisioning after a factory reset. With its own label PIN the
// device gets a new credential; the old one stops at once (its session is kicked); the owner
// stays.
void a_factory_reset_with_the_pin_rekeys_the_device_and_revokes_the_old_credential(void**) {
    Claimant first("boot:reset-1");
    std::string answer = first.register_device("C0FFEE000001", "9182");
    std::string old_password = field_of(answer, "password");
    db().exec("INSERT INTO users (username, password_hash) VALUES ('reset-owner', 'x')");
    db().exec("UPDATE devices SET owner_id = (SELECT id FROM users WHERE username ="
              " 'reset-owner'), state = 'claimed' WHERE id = 'C0FFEE000001'");
    MqttClient old_session("C0FFEE000001", 5);
    assert_int_equal(connect_device(old_session, "C0FFEE000001", old_password), 0);

    Claimant after_reset("boot:reset-2");
    answer = after_reset.register_device("C0FFEE000001", "9182");
    assert_string_equal(field_of(answer, "status").c_str(), "reissued");
    std::string new_password = field_of(answer, "password");
    assert_string_not_equal(new_password.c_str(), old_password.c_str());

    assert_true(old_session.wait_disconnected(2s));
    MqttClient stale("C0FFEE000001", 5);
    assert_int_equal(stale.connect(stack_env().mqtt_port, "C0FFEE000001", old_password),
                     refused_v5);
    MqttClient fresh("C0FFEE000001", 5);
    assert_int_equal(connect_device(fresh, "C0FFEE000001", new_password), 0);
    assert_string_equal(cell("SELECT u.username || ' ' || d.state FROM devices d JOIN users u"
                             " ON u.id = d.owner_id WHERE d.id = 'C0FFEE000001'",
                             {})
                            .c_str(),
                        "reset-owner claimed");
}

// Wrong PINs count per device across connections (and across MQTT and HTTP): the third locks
// the device out, and then even the right PIN waits.
void wrong_pins_past_the_limit_lock_the_device_out(void**) {
    Claimant setup("boot:lock-setup");
    assert_string_equal(field_of(setup.register_device("D00D00000001", "5555"), "status").c_str(),
                        "registered");
    Claimant guesser("boot:guesser");
    std::string answer = guesser.register_device("D00D00000001", "1111");
    assert_string_equal(field_of(answer, "remaining_attempts").c_str(), "2");
    Claimant guesser2("boot:guesser-2"); // a new connection does not reset the count
    answer = guesser2.register_device("D00D00000001", "2222");
    assert_string_equal(field_of(answer, "remaining_attempts").c_str(), "1");
    answer = guesser2.register_device("D00D00000001", "3333");
    assert_string_equal(field_of(answer, "code").c_str(), "locked_out");
    assert_true(std::stoi(field_of(answer, "retry_after_s")) > 0);
    answer = guesser2.register_device("D00D00000001", "5555");
    assert_string_equal(field_of(answer, "code").c_str(), "locked_out");
    assert_string_equal(field_of(answer, "password").c_str(), "");
    assert_string_equal(cell("SELECT count(*)::text FROM audit_log WHERE action ="
                             " 'auto_register' AND username = 'D00D00000001'"
                             " AND outcome = 'locked'",
                             {})
                            .c_str(),
                        "1");
}

// The claim identity may publish to its own request topic and read its own response topic,
// nothing else: not another claimant's exchange, not a device's topics, no wildcards.
void the_claim_identity_cannot_leave_its_own_topics(void**) {
    Claimant other("boot:other");
    Claimant nosy("boot:nosy");
    assert_int_equal(nosy.mqtt.publish("sarang/provision/boot:other/request",
                                       "{\"device_id\":\"E0E0E0E0E0E0\",\"pin_code\":\"1234\"}"),
                     denied_v5);
    assert_int_equal(nosy.mqtt.publish("relay/441D64BE2208/command", "{\"on\":false}"), denied_v5);
    assert_int_equal(nosy.mqtt.publish("relay/441D64BE2208/state", "{\"on\":false}"), denied_v5);
    assert_int_equal(nosy.mqtt.subscribe("sarang/provision/boot:other/response"), denied_v5);
    assert_int_equal(nosy.mqtt.subscribe("sarang/provision/+/response"), denied_v5);
    assert_int_equal(nosy.mqtt.subscribe("#"), denied_v5);
    assert_int_equal(nosy.mqtt.subscribe("relay/441D64BE2208/command"), denied_v5);
    // The other claimant's answer reaches only the other claimant.
    std::string answer = other.register_device("E0E0E0E0E0E1", "2468");
    assert_string_equal(field_of(answer, "status").c_str(), "registered");
    assert_false(nosy.mqtt.wait_message("sarang/provision/boot:other/response", 300ms));

    // No wrong secret, no hostile client id, no device name as claimant.
    MqttClient wrong("boot:wrong", 5);
    assert_int_equal(wrong.connect(stack_env().mqtt_port, "$provision", "not-the-secret"),
                     refused_v5);
    MqttClient wildcard("boot/+", 5);
    assert_int_equal(wildcard.connect(stack_env().mqtt_port, "$provision", factory_secret()),
                     refused_v5);
}

void requests_per_connection_are_limited(void**) {
    Claimant eager("boot:eager");
    for (int i = 0; i < 5; ++i)
        assert_string_equal(
            field_of(eager.register_device("F1F1F1F1F1F1", "1357"), "status").c_str(),
            i == 0 ? "registered" : "reissued");
    assert_string_equal(field_of(eager.register_device("F1F1F1F1F1F1", "1357"), "code").c_str(),
                        "too_many_requests");
}

// A rotated factory secret keeps working through its grace, then stops, and claimants still
// connected with it are disconnected.
void a_rotated_factory_secret_ends_with_its_grace(void**) {
    std::string old_secret = factory_secret();
    std::string new_secret = new_factory_secret("rotate", "--grace-seconds 2");
    Claimant during_grace("boot:grace", old_secret);
    Claimant with_new("boot:new", new_secret);
    assert_true(during_grace.mqtt.wait_disconnected(4s));
    MqttClient after("boot:after", 5);
    assert_int_equal(after.connect(stack_env().mqtt_port, "$provision", old_secret), refused_v5);
    assert_string_equal(
        field_of(with_new.register_device("A0A0A0A0A0A1", "8642"), "status").c_str(), "registered");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_fresh_device_registers_itself_and_reconnects_as_itself),
        cmocka_unit_test(bad_requests_get_a_clear_error_and_change_nothing),
        cmocka_unit_test(poisoned_requests_never_stop_the_registrar),
        cmocka_unit_test(the_factory_secret_cannot_take_over_an_existing_device),
        cmocka_unit_test(
            a_factory_reset_with_the_pin_rekeys_the_device_and_revokes_the_old_credential),
        cmocka_unit_test(wrong_pins_past_the_limit_lock_the_device_out),
        cmocka_unit_test(the_claim_identity_cannot_leave_its_own_topics),
        cmocka_unit_test(requests_per_connection_are_limited),
        cmocka_unit_test(a_rotated_factory_secret_ends_with_its_grace),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
