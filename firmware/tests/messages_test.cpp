// Every payload the firmware builds, checked by the backend's own validators (core/), and every
// command the backend builds, read by the firmware: the two sides speak one language.
#include "sarang/commands.hpp"
#include "sarang/data_message.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/door_pin.hpp"
#include "sarang/json.hpp"
#include "sarang/vending.hpp"
#include "sarang_fw/messages.hpp"

#include "cmocka.hpp"

using namespace sarang_fw;
namespace backend = sarang;

namespace {

constexpr std::int64_t ts = 1'763'900'000'123;

backend::ParsedMessage accepted_by_backend(const char* kind, const char* subtopic,
                                           const std::string& payload) {
    const backend::KindSpec* spec = backend::find_kind(kind);
    assert_non_null(spec);
    const backend::DataTopic* topic = spec->data_topic(subtopic);
    assert_non_null(topic);
    backend::ParsedMessage parsed = backend::parse_data_message(*topic, payload);
    if (!parsed.ok())
        print_message("%s %s %s: %s\n", kind, subtopic, payload.c_str(), parsed.error.c_str());
    assert_true(parsed.ok());
    return parsed;
}

double metric(const backend::ParsedMessage& parsed, const char* name) {
    for (const backend::Metric& m : parsed.metrics) {
        if (m.name == name)
            return m.value;
    }
    fail_msg("no metric %s", name);
    return 0;
}

JsonView view_of(const std::optional<Json>& json) {
    assert_true(json.has_value());
    return json->view();
}

void readings_land_with_their_metrics_and_time(void**) {
    messages::HydroReading hydro{512.3, 6.8, 24.5};
    backend::ParsedMessage parsed =
        accepted_by_backend("hydro-sensor", "reading", messages::hydro_reading(hydro, ts));
    assert_true(metric(parsed, "tds") == 512.3);
    assert_true(metric(parsed, "ph") == 6.8);
    assert_true(metric(parsed, "temperature") == 24.5);
    assert_true(parsed.device_time.has_value());
    assert_int_equal(std::chrono::duration_cast<std::chrono::milliseconds>(
                         parsed.device_time->time_since_epoch())
                         .count(),
                     ts);
    parsed = accepted_by_backend("env-sensor", "reading", messages::env_reading(27.5, 61, ts));
    assert_true(metric(parsed, "humidity") == 61);
    // Without a clock the firmware leaves ts out rather than sending 1970.
    parsed = accepted_by_backend("env-sensor", "reading", messages::env_reading(27.5, 61, 0));
    assert_false(parsed.device_time.has_value());
}

void statuses_say_online_and_offline(void**) {
    messages::Status status{true, -60, "fw-1", "A4CF12EF5678"};
    for (const char* kind : {"hydro-sensor", "env-sensor", "parcel-box", "door-lock", "relay"}) {
        status.online = true;
        assert_true(*accepted_by_backend(kind, "status", messages::status(status)).online);
        status.online = false;
        assert_false(*accepted_by_backend(kind, "status", messages::status(status)).online);
    }
    assert_true(*accepted_by_backend("vending", "status",
                                     messages::vending_status(true, true, -65, "1.0.0"))
                     .online);
    assert_false(*accepted_by_backend("vending", "status",
                                      messages::vending_status(false, true, std::nullopt, ""))
                      .online);
}

void vending_telemetry_and_parcel_events_are_accepted(void**) {
    backend::ParsedMessage parsed =
        accepted_by_backend("vending", "telemetry",
                            messages::vending_telemetry({{1, "FULL"}, {2, "LOW"}}, 25.5, true, ts));
    assert_true(metric(parsed, "temperature") == 25.5);
    assert_true(metric(accepted_by_backend("parcel-box", "sensor/distance",
                                           messages::parcel_distance(17, ts)),
                       "distance_cm") == 17);
    accepted_by_backend("parcel-box", "event", messages::parcel_event("detect", 17.0, ts));
    accepted_by_backend("parcel-box", "photo/status",
                        messages::parcel_photo_status(true, "/api/v1/packages/1/photo", ""));
    accepted_by_backend("parcel-box", "settings/cur",
                        messages::parcel_settings(messages::ParcelSettings{}));
    accepted_by_backend("door-lock", "alert", messages::lock_alert(5, true));
    accepted_by_backend("door-lock", "status", messages::lock_status(true, "remote", "c-1"));
}

void a_dispense_round_trips_through_the_backends_rules(void**) {
    std::string command =
        backend::json::dump(backend::vending::dispense_command(2, "ORD123456", 2150).get());
    std::optional<Json> parsed = Json::parse(command);
    std::optional<messages::DispenseCommand> dispense = messages::parse_dispense(view_of(parsed));
    assert_true(dispense.has_value());
    assert_int_equal(dispense->slot, 2);
    assert_text_equal(dispense->order_id, "ORD123456");
    assert_int_equal(dispense->timeout_ms, 2150);

    messages::DispenseResult result{"c-9", "ORD123456", 2, true, true, 1850, ""};
    std::string problem;
    std::optional<backend::vending::DispenseResult> read =
        backend::vending::parse_dispense_result(messages::dispense_result(result), problem);
    assert_true(read.has_value());
    assert_text_equal(read->order_id, "ORD123456");
    assert_int_equal(read->slot, 2);
    assert_true(read->success);
    result.success = false;
    result.error = "timeout";
    read = backend::vending::parse_dispense_result(messages::dispense_result(result), problem);
    assert_false(read->success);
    assert_text_equal(*read->error, "timeout");

    std::string error;
    for (const char* bad :
         {R"({"cmd":"refund","slot":1,"orderId":"A"})",
          R"({"cmd":"dispense","slot":0,"orderId":"A"})", R"({"cmd":"dispense","slot":1})"})
        assert_false(messages::parse_dispense(view_of(Json::parse(bad))).has_value());
}

void answers_echo_the_id_and_are_judged_as_meant(void**) {
    std::string error;
    backend::json::Ptr ack =
        backend::json::parse(messages::control_ack("flash", true, "", "c-1"), error);
    assert_int_equal(static_cast<int>(backend::commands::judge_answer(ack.get()).state),
                     static_cast<int>(backend::commands::State::acked));
    assert_text_equal(json_string_value(json_object_get(ack.get(), "id")), "c-1");
    backend::json::Ptr refused =
        backend::json::parse(messages::settings_ack(false, "value out of range", "c-2"), error);
    assert_int_equal(static_cast<int>(backend::commands::judge_answer(refused.get()).state),
                     static_cast<int>(backend::commands::State::failed));
}

void the_lock_speaks_the_doorlock_plugins_language(void**) {
    std::string problem;
    std::optional<backend::door::Attempt> attempt =
        backend::door::parse_attempt(messages::pin_attempt("482913", "k-17"), problem);
    assert_true(attempt.has_value());
    assert_text_equal(attempt->pin, "482913");
    assert_text_equal(attempt->attempt_id, "k-17");

    backend::door::Verdict verdict;
    verdict.attempt_id = "k-18";
    verdict.remaining_attempts = 1;
    verdict.error = "invalid_pin";
    std::optional<Json> json = Json::parse(backend::door::verdict_json(verdict));
    std::optional<messages::PinVerdict> read = messages::parse_verdict(view_of(json));
    assert_true(read.has_value());
    assert_false(read->ok);
    assert_text_equal(read->attempt_id, "k-18");
    assert_int_equal(*read->remaining_attempts, 1);
    assert_text_equal(read->error, "invalid_pin");

    json = Json::parse(backend::door::unlock_json("keypad"));
    std::optional<messages::UnlockCommand> unlock = messages::parse_unlock(view_of(json));
    assert_true(unlock.has_value());
    assert_text_equal(unlock->method, "keypad");
}

void parcel_commands_and_settings_follow_the_seed(void**) {
    auto control = [](const char* text) {
        std::optional<Json> json = Json::parse(text);
        return messages::parse_parcel_control(view_of(json));
    };
    using Action = messages::ParcelControl::Action;
    assert_int_equal(static_cast<int>(control(R"({"capture":true,"id":"x"})").action),
                     static_cast<int>(Action::capture));
    messages::ParcelControl flash = control(R"({"flash":"pulse","ms":150})");
    assert_int_equal(static_cast<int>(flash.action), static_cast<int>(Action::flash));
    assert_text_equal(flash.state, "pulse");
    assert_int_equal(*flash.ms, 150);
    assert_text_equal(control(R"({"pipeline":"stop"})").name, "pipeline");
    assert_int_equal(static_cast<int>(control(R"({"toast":"now"})").action),
                     static_cast<int>(Action::unknown));

    messages::ParcelSettings current;
    std::optional<Json> change = Json::parse(R"({"ultra":{"min":10,"max":30},"lock":{"ms":3000}})");
    std::optional<messages::ParcelSettings> next =
        messages::apply_parcel_settings(current, view_of(change));
    assert_true(next.has_value());
    assert_int_equal(next->ultra_min_cm, 10);
    assert_int_equal(next->ultra_max_cm, 30);
    assert_int_equal(next->lock_ms, 3000);
    assert_int_equal(next->buzzer_ms, current.buzzer_ms);
    for (const char* bad : {R"({"ultra":{"min":4}})", R"({"ultra":{"min":30,"max":20}})",
                            R"({"buzzer":{"buzzOn":"loud"}})", R"({"lock":5})"}) {
        change = Json::parse(bad);
        assert_false(messages::apply_parcel_settings(current, view_of(change)).has_value());
    }
}

void relay_commands_both_spellings(void**) {
    std::optional<Json> on = Json::parse(R"({"state":"on","id":"r"})");
    assert_true(*messages::parse_relay_command(view_of(on)));
    std::optional<Json> off = Json::parse(R"({"on":false})");
    assert_false(*messages::parse_relay_command(view_of(off)));
    std::optional<Json> neither = Json::parse(R"({"state":"dim"})");
    assert_false(messages::parse_relay_command(view_of(neither)).has_value());
    accepted_by_backend("relay", "state", messages::relay_state(true, "r"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(readings_land_with_their_metrics_and_time),
        cmocka_unit_test(statuses_say_online_and_offline),
        cmocka_unit_test(vending_telemetry_and_parcel_events_are_accepted),
        cmocka_unit_test(a_dispense_round_trips_through_the_backends_rules),
        cmocka_unit_test(answers_echo_the_id_and_are_judged_as_meant),
        cmocka_unit_test(the_lock_speaks_the_doorlock_plugins_language),
        cmocka_unit_test(parcel_commands_and_settings_follow_the_seed),
        cmocka_unit_test(relay_commands_both_spellings),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
