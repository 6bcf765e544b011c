#include "fakes.hpp"
#include "sarang_fw/claim.hpp"
#include "sarang_fw/json.hpp"
#include "sarang_fw/settings_store.hpp"
#include "sarang_fw/setup_portal.hpp"

#include "cmocka.hpp"

using namespace sarang_fw;

namespace {

void the_claim_asks_with_id_pin_and_kind(void**) {
    std::optional<Json> request = Json::parse(claim_request("441D64BE2208", "4821", "relay"));
    assert_text_equal(*request->view().string("device_id"), "441D64BE2208");
    assert_text_equal(*request->view().string("pin_code"), "4821");
    assert_text_equal(*request->view().string("kind"), "relay");
}

void claim_answers_are_sorted_into_what_to_do(void**) {
    ClaimAnswer got = parse_claim_answer(
        R"({"status":"registered","device_id":"441D64BE2208","username":"441D64BE2208",)"
        R"("client_id":"441D64BE2208","password":"p4ss","kind":"relay","topic_prefix":"relay/441D64BE2208"})");
    assert_int_equal(static_cast<int>(got.outcome),
                     static_cast<int>(ClaimAnswer::Outcome::credential));
    assert_text_equal(got.password, "p4ss");
    assert_text_equal(got.topic_prefix, "relay/441D64BE2208");
    got = parse_claim_answer(R"({"status":"error","code":"locked_out","retry_after_s":30})");
    assert_int_equal(static_cast<int>(got.outcome),
                     static_cast<int>(ClaimAnswer::Outcome::retry_later));
    assert_int_equal(got.retry_after_ms, 30000);
    got = parse_claim_answer(R"({"status":"error","code":"unavailable"})");
    assert_int_equal(static_cast<int>(got.outcome),
                     static_cast<int>(ClaimAnswer::Outcome::retry_later));
    assert_int_equal(got.retry_after_ms, 0);
    got = parse_claim_answer(R"({"status":"error","code":"invalid_pin","remaining_attempts":2})");
    assert_int_equal(static_cast<int>(got.outcome),
                     static_cast<int>(ClaimAnswer::Outcome::refused));
    assert_text_equal(got.status, "invalid_pin");
    // A "registered" answer without a password is no credential.
    got = parse_claim_answer(R"({"status":"registered","device_id":"A"})");
    assert_int_equal(static_cast<int>(got.outcome),
                     static_cast<int>(ClaimAnswer::Outcome::retry_later));
}

void the_portal_answers_the_seeds_setup_api(void**) {
    fakes::Store store;
    SettingsStore settings(store);
    SetupPortal portal(settings, {"A4CF12EF5678", "env-sensor", "fw-1"});
    HttpReply info = portal.handle("GET", "/api/info", "");
    assert_int_equal(info.status, 200);
    std::optional<Json> body = Json::parse(info.body);
    assert_text_equal(*body->view().string("chip_id"), "A4CF12EF5678");
    assert_false(*body->view().boolean("mqtt_configured"));

    assert_int_equal(
        portal.handle("POST", "/api/wifi", R"({"ssid":"MyHomeWiFi","password":"mypassword"})")
            .status,
        200);
    assert_text_equal(settings.wifi()->ssid, "MyHomeWiFi");
    // Sarang's mqtt_config as POST /api/provision/register/ answered it.
    HttpReply mqtt = portal.handle(
        "POST", "/api/mqtt",
        R"({"broker_host":"192.168.29.91","broker_port":1883,"topic_prefix":"home/esp32_3fa92c01d4",)"
        R"("node_name":"esp32_3fa92c01d4","client_id":"esp32_3fa92c01d4","username":"esp32_3fa92c01d4","password":"secret"})");
    assert_int_equal(mqtt.status, 200);
    std::optional<MqttConfig> stored = settings.mqtt();
    assert_true(stored.has_value());
    assert_text_equal(stored->host, "192.168.29.91");
    assert_text_equal(stored->topic_prefix, "home/esp32_3fa92c01d4");
    assert_text_equal(stored->password, "secret");
    assert_false(portal.restart_requested());
    assert_int_equal(portal.handle("POST", "/api/restart", "").status, 200);
    assert_true(portal.restart_requested());
}

void bad_setup_input_is_400_and_stores_nothing(void**) {
    fakes::Store store;
    SettingsStore settings(store);
    SetupPortal portal(settings, {"A4CF12EF5678", "env-sensor", "fw-1"});
    const char* bad_mqtt[] = {
        "not json",
        R"({"broker":"h","port":1883,"topic_prefix":"home/x","node_name":"x"})", // no credential
        R"({"broker":"h","port":70000,"topic_prefix":"home/x","node_name":"x","password":"p"})",
        R"({"broker":"h","port":1883,"topic_prefix":"home/#","node_name":"x","password":"p"})",
        R"({"broker":"h","port":1883,"topic_prefix":"home/x","node_name":"x/y","password":"p"})",
        R"({"port":1883,"topic_prefix":"home/x","node_name":"x","password":"p"})",
    };
    for (const char* body : bad_mqtt)
        assert_int_equal(portal.handle("POST", "/api/mqtt", body).status, 400);
    assert_int_equal(portal.handle("POST", "/api/wifi", R"({"ssid":"","password":""})").status,
                     400);
    assert_int_equal(
        portal.handle("POST", "/api/wifi", R"({"ssid":"a","password":"short"})").status, 400);
    assert_true(store.values.empty());
    assert_int_equal(portal.handle("GET", "/api/wifi", "").status, 405);
    assert_int_equal(portal.handle("POST", "/api/info", "").status, 405);
    assert_int_equal(portal.handle("GET", "/api/nope", "").status, 404);
    assert_false(portal.restart_requested());
}

void a_forgotten_credential_makes_the_config_incomplete(void**) {
    fakes::Store store;
    SettingsStore settings(store);
    assert_true(settings.save_mqtt({"h", 1883, "c", "u", "p", "x/y"}));
    assert_true(settings.mqtt().has_value());
    settings.forget_credential();
    assert_false(settings.mqtt().has_value());
    assert_text_equal(store.values.at("mqtt_host"), "h");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_claim_asks_with_id_pin_and_kind),
        cmocka_unit_test(claim_answers_are_sorted_into_what_to_do),
        cmocka_unit_test(the_portal_answers_the_seeds_setup_api),
        cmocka_unit_test(bad_setup_input_is_400_and_stores_nothing),
        cmocka_unit_test(a_forgotten_credential_makes_the_config_incomplete),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
