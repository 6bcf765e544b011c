#include "fakes.hpp"
#include "sarang_fw/device_core.hpp"

#include "cmocka.hpp"

using namespace sarang_fw;

namespace {

struct RecordingApp : DeviceApp {
    std::vector<std::string> commands; // subtopic + " " + id
    bool answer_at_once = true;
    std::string status_payload(bool online) override {
        return online ? R"({"status":"online"})" : R"({"status":"offline"})";
    }
    void on_command(DeviceCore& core, const Command& command) override {
        commands.push_back(command.subtopic + " " + command.key);
        if (answer_at_once)
            core.answer(command, "dispense_result", R"({"answer":")" + command.key + R"("})");
    }
};

struct Rig {
    fakes::Clock clock;
    fakes::Random random;
    fakes::Store store;
    fakes::Transport transport;
    RecordingApp app;
    std::unique_ptr<DeviceCore> core;

    explicit Rig(bool factory = true, const char* kind = "vending") {
        CoreConfig config;
        config.kind = kind;
        config.device_id = "441D64BE2208";
        config.label_pin = "4821";
        config.factory_secret = factory ? "factory-secret" : "";
        config.broker_host = "broker.local";
        core = std::make_unique<DeviceCore>(config, app, transport, store, clock, random);
    }
    void accept() {
        transport.up = true;
        core->on_connected(0);
    }
    void store_credential() {
        store.values = {{"mqtt_host", "broker.local"}, {"mqtt_port", "1883"},
                        {"mqtt_client", "VM01"},       {"mqtt_user", "VM01"},
                        {"mqtt_pass", "pw"},           {"mqtt_prefix", "vm/VM01"}};
    }
};

void a_fresh_device_registers_itself_then_connects_as_itself(void**) {
    Rig rig;
    assert_int_equal(static_cast<int>(rig.core->phase()),
                     static_cast<int>(DeviceCore::Phase::claiming));
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 1);
    const MqttSession& claim = rig.transport.connects[0];
    assert_text_equal(claim.username, "$provision");
    assert_text_equal(claim.password, "factory-secret");
    assert_text_equal(claim.client_id, "boot:441D64BE2208");
    assert_true(claim.will_topic.empty());
    rig.accept();
    assert_text_equal(rig.transport.subscribed.at(0),
                      "sarang/provision/boot:441D64BE2208/response");
    assert_text_equal(rig.transport.published.at(0).topic,
                      "sarang/provision/boot:441D64BE2208/request");

    rig.core->on_message("sarang/provision/boot:441D64BE2208/response",
                         R"({"status":"registered","device_id":"441D64BE2208",)"
                         R"("username":"441D64BE2208","client_id":"441D64BE2208",)"
                         R"("password":"cred","kind":"vending","topic_prefix":"vm/441D64BE2208"})");
    assert_int_equal(rig.transport.disconnects, 1);
    assert_text_equal(rig.store.values.at("mqtt_pass"), "cred"); // survives a reboot
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 2);
    const MqttSession& own = rig.transport.connects[1];
    assert_text_equal(own.username, "441D64BE2208");
    assert_text_equal(own.client_id, "441D64BE2208");
    assert_text_equal(own.password, "cred");
    assert_text_equal(own.will_topic, "vm/441D64BE2208/status");
    assert_text_equal(own.will_payload, R"({"status":"offline"})");
    rig.accept();
    assert_true(rig.core->online());
    std::vector<std::string>& subscribed = rig.transport.subscribed;
    assert_int_equal(subscribed.size(), 3);
    assert_text_equal(subscribed[1], "vm/441D64BE2208/command");
    assert_text_equal(subscribed[2], "vm/441D64BE2208/config");
    assert_int_equal(rig.transport.payloads_on("vm/441D64BE2208/status").size(), 1);
}

void refusals_back_off_and_a_refused_claim_stops(void**) {
    Rig rig;
    rig.random.value = 0; // the fixed half of each delay
    rig.core->loop();
    rig.core->on_connected(5);
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 1);
    rig.clock.now += 499;
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 1);
    rig.clock.now += 1;
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 2);
    rig.accept();
    rig.core->on_message("sarang/provision/boot:441D64BE2208/response",
                         R"({"status":"error","code":"invalid_pin","remaining_attempts":2})");
    assert_int_equal(static_cast<int>(rig.core->phase()),
                     static_cast<int>(DeviceCore::Phase::refused));
    rig.clock.now += 3'600'000;
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 2);
    assert_text_equal(rig.core->last_error(), "claim refused: invalid_pin");
}

void a_locked_out_claim_waits_as_told(void**) {
    Rig rig;
    rig.core->loop();
    rig.accept();
    rig.core->on_message("sarang/provision/boot:441D64BE2208/response",
                         R"({"status":"error","code":"locked_out","retry_after_s":30})");
    rig.core->on_disconnected();
    rig.clock.now += 29'999;
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 1);
    rig.clock.now += 1;
    rig.core->loop();
    assert_int_equal(rig.transport.connects.size(), 2);
}

void without_credential_or_factory_secret_it_waits_for_setup(void**) {
    Rig rig(false);
    rig.core->loop();
    assert_int_equal(static_cast<int>(rig.core->phase()),
                     static_cast<int>(DeviceCore::Phase::needs_setup));
    assert_true(rig.transport.connects.empty());
}

void a_repeated_command_is_answered_again_without_acting_again(void**) {
    Rig rig(false);
    rig.store_credential();
    CoreConfig config;
    config.kind = "vending";
    rig.core = std::make_unique<DeviceCore>(config, rig.app, rig.transport, rig.store, rig.clock,
                                            rig.random);
    rig.core->loop();
    rig.accept();
    std::string command = R"({"cmd":"dispense","slot":1,"orderId":"ORD1","id":"c-1"})";
    rig.core->on_message("vm/VM01/command", command);
    rig.core->on_message("vm/VM01/command", command);
    assert_int_equal(rig.app.commands.size(), 1);
    assert_text_equal(rig.app.commands[0], "command c-1");
    std::vector<std::string> answers = rig.transport.payloads_on("vm/VM01/dispense_result");
    assert_int_equal(answers.size(), 2);
    assert_text_equal(answers[1], answers[0]);
    // Seed-style commands without "id" are recognised by their order.
    rig.core->on_message("vm/VM01/command", R"({"cmd":"dispense","slot":1,"orderId":"ORD2"})");
    rig.core->on_message("vm/VM01/command", R"({"cmd":"dispense","slot":1,"orderId":"ORD2"})");
    assert_int_equal(rig.app.commands.size(), 2);
    // Not under the prefix, or not JSON: nothing.
    rig.core->on_message("vm/VM02/command", command);
    rig.core->on_message("vm/VM01/command", "dispense!");
    assert_int_equal(rig.app.commands.size(), 2);
}

void readings_wait_in_the_outbox_until_acknowledged(void**) {
    Rig rig(false);
    rig.store_credential();
    CoreConfig config;
    config.kind = "vending";
    rig.core = std::make_unique<DeviceCore>(config, rig.app, rig.transport, rig.store, rig.clock,
                                            rig.random);
    rig.core->publish_reliably("telemetry", R"({"n":1})"); // offline: kept
    assert_int_equal(rig.core->outbox_size(), 1);
    rig.core->loop();
    rig.accept();
    assert_int_equal(rig.transport.payloads_on("vm/VM01/telemetry").size(), 1);
    rig.core->publish_reliably("telemetry", R"({"n":2})");
    // The connection drops before any PUBACK: both go again on the next connection.
    rig.transport.up = false;
    rig.core->on_disconnected();
    rig.clock.now += 60'000;
    rig.core->loop();
    rig.accept();
    std::vector<fakes::Published> sent;
    for (const fakes::Published& message : rig.transport.published) {
        if (message.topic == "vm/VM01/telemetry")
            sent.push_back(message);
    }
    assert_int_equal(sent.size(), 4);
    assert_text_equal(sent[2].payload, R"({"n":1})");
    assert_text_equal(sent[3].payload, R"({"n":2})");
    rig.core->on_published(sent[2].message_id);
    rig.core->on_published(sent[3].message_id);
    assert_int_equal(rig.core->outbox_size(), 0);
}

void a_rejected_credential_leads_back_to_self_registration(void**) {
    Rig rig(true);
    rig.store_credential();
    CoreConfig config;
    config.kind = "vending";
    config.device_id = "441D64BE2208";
    config.factory_secret = "factory-secret";
    config.broker_host = "broker.local";
    rig.core = std::make_unique<DeviceCore>(config, rig.app, rig.transport, rig.store, rig.clock,
                                            rig.random);
    assert_int_equal(static_cast<int>(rig.core->phase()),
                     static_cast<int>(DeviceCore::Phase::operating));
    for (int i = 0; i < 3; ++i) {
        rig.clock.now += 120'000;
        rig.core->loop();
        rig.core->on_connected(5);
    }
    assert_int_equal(static_cast<int>(rig.core->phase()),
                     static_cast<int>(DeviceCore::Phase::claiming));
    assert_false(rig.store.values.contains("mqtt_pass"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_fresh_device_registers_itself_then_connects_as_itself),
        cmocka_unit_test(refusals_back_off_and_a_refused_claim_stops),
        cmocka_unit_test(a_locked_out_claim_waits_as_told),
        cmocka_unit_test(without_credential_or_factory_secret_it_waits_for_setup),
        cmocka_unit_test(a_repeated_command_is_answered_again_without_acting_again),
        cmocka_unit_test(readings_wait_in_the_outbox_until_acknowledged),
        cmocka_unit_test(a_rejected_credential_leads_back_to_self_registration),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
