// The commands outbox's pure rules: the state machine, pairing a device's answer with the sent
// command it settles, what an answer says, and what may be queued.
#include "sarang/commands.hpp"

#include <algorithm>
#include <vector>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::commands;

namespace {

json::Ptr parsed(const char* text) {
    std::string error;
    json::Ptr value = json::parse(text, error);
    assert_non_null(value.get());
    return value;
}

const KindSpec& kind(const char* name) {
    const KindSpec* spec = find_kind(name);
    assert_non_null(spec);
    return *spec;
}

std::optional<std::size_t> match(const char* kind_name, const char* ack, const char* answer,
                                 const std::vector<SentCommand>& sent) {
    json::Ptr value = parsed(answer);
    return match_answer(kind(kind_name), ack, value.get(), sent);
}

void states_only_move_forward(void**) {
    assert_true(may_change(State::queued, State::sent));
    assert_true(may_change(State::queued, State::expired));
    assert_true(may_change(State::sent, State::sent)); // a resend
    assert_true(may_change(State::sent, State::acked));
    assert_true(may_change(State::sent, State::failed));
    assert_true(may_change(State::sent, State::expired));
    assert_false(may_change(State::queued, State::acked)); // never answered unsent
    assert_false(may_change(State::sent, State::queued));
    for (State final : {State::acked, State::failed, State::expired}) {
        assert_true(is_final(final));
        for (State to : {State::queued, State::sent, State::acked, State::failed, State::expired})
            assert_false(may_change(final, to)); // a late answer never resurrects
    }
    for (State state : {State::queued, State::sent, State::acked, State::failed, State::expired})
        assert_true(parse_state(state_name(state)) == state);
    assert_false(parse_state("delivered").has_value());
}

void an_echoed_id_settles_exactly_that_command(void**) {
    std::vector<SentCommand> sent = {{"a", "control", std::nullopt}, {"b", "control", "flash"}};
    assert_true(match("parcel-box", "control/ack", R"({"id":"b","ok":true})", sent) == 1u);
    // An id that is not sent (already settled: a duplicate) settles nothing, not the oldest.
    assert_false(match("parcel-box", "control/ack", R"({"id":"z","ok":true})", sent).has_value());
    // Only on a topic that answers that command's topic.
    std::vector<SentCommand> settings = {{"s", "settings/set", std::nullopt}};
    assert_false(match("parcel-box", "control/ack", R"({"id":"s"})", settings).has_value());
    assert_true(match("parcel-box", "settings/ack", R"({"id":"s"})", settings) == 0u);
}

void a_dispense_result_settles_only_its_order(void**) {
    std::vector<SentCommand> sent = {
        {"reboot", "command", std::nullopt}, {"o1", "command", "ORD1"}, {"o2", "command", "ORD2"}};
    assert_true(match("vending", "dispense_result", R"({"orderId":"ORD2","success":true})", sent) ==
                2u);
    // orderId is required: another order's result, or one without orderId, settles nothing.
    assert_false(match("vending", "dispense_result", R"({"orderId":"ORD9","success":true})", sent)
                     .has_value());
    assert_false(match("vending", "dispense_result", R"({"success":true})", sent).has_value());
    // Numbers pair by their JSON text.
    std::vector<SentCommand> numeric = {{"n", "command", "42"}};
    assert_true(match("vending", "dispense_result", R"({"orderId":42})", numeric) == 0u);
}

void a_control_ack_pairs_by_action_then_oldest_without_one(void**) {
    std::vector<SentCommand> sent = {{"capture", "control", std::nullopt},
                                     {"buzzer", "control", "buzzer"},
                                     {"flash", "control", "flash"}};
    assert_true(match("parcel-box", "control/ack", R"({"action":"flash","ok":true})", sent) == 2u);
    // No command named that action: the oldest that named none ({"capture": true}).
    assert_true(match("parcel-box", "control/ack", R"({"action":"holder","ok":true})", sent) == 0u);
    std::vector<SentCommand> named = {{"buzzer", "control", "buzzer"}};
    assert_false(
        match("parcel-box", "control/ack", R"({"action":"holder","ok":true})", named).has_value());
}

// The seed lock answers a remote unlock with {"state":"unlocked","method":"remote"} on its status
// topic, where its will, the re-lock and keypad unlocks land too.
void only_a_remote_unlock_status_settles_a_remote_unlock(void**) {
    std::vector<SentCommand> sent = {{"unlock", "control", "remote"}};
    json::Ptr command = parsed(R"({"action":"unlock","method":"remote"})");
    assert_true(correlation_value(command.get(), "method") == sent[0].correlation);
    assert_true(match("door-lock", "status", R"({"state":"unlocked","method":"remote"})", sent) ==
                0u);
    for (const char* stray : {R"({"status":"offline"})", R"({"state":"locked"})",
                              R"({"state":"unlocked","method":"keypad"})"})
        assert_false(match("door-lock", "status", stray, sent).has_value());
    assert_false(match_answer(kind("door-lock"), "status", nullptr, sent).has_value()); // "offline"
}

void answers_without_keys_settle_the_oldest(void**) {
    std::vector<SentCommand> sent = {{"first", "settings/set", std::nullopt},
                                     {"second", "settings/set", std::nullopt}};
    assert_true(match("parcel-box", "settings/ack", R"({"ok":true})", sent) == 0u);
    std::vector<SentCommand> relay = {{"on", "command", std::nullopt}};
    assert_true(match("relay", "state", R"({"state":"on"})", relay) == 0u);
    assert_true(match_answer(kind("relay"), "state", nullptr, relay) == 0u); // plain "ON"
    assert_false(match("relay", "state", R"({"state":"on"})", {}).has_value());
    // A topic that answers nothing.
    assert_false(match("relay", "status", R"({"state":"on"})", relay).has_value());
}

void answers_say_acked_or_failed(void**) {
    auto verdict = [](const char* text) { return judge_answer(parsed(text).get()); };
    assert_true(verdict(R"({"ok":true})").state == State::acked);
    assert_true(verdict(R"({"success":true,"error":null})").state == State::acked);
    assert_true(verdict(R"({"state":"unlocked"})").state == State::acked);
    Verdict jam = verdict(R"({"orderId":"1","success":false,"error":"motor jam"})");
    assert_true(jam.state == State::failed);
    assert_text_equal(*jam.error, "motor jam");
    Verdict refused = verdict(R"({"action":"flash","ok":false})");
    assert_true(refused.state == State::failed);
    assert_text_equal(*refused.error, "the device reported failure");
    assert_true(verdict(R"({"error":"busy"})").state == State::failed);
    assert_true(verdict(R"({"error":""})").state == State::acked);
    assert_true(judge_answer(nullptr).state == State::acked);
}

void what_may_be_queued(void**) {
    const KindSpec& vending = kind("vending");
    json::Ptr payload = parsed(R"({"cmd":"dispense","slot":1,"orderId":"ORD1"})");
    assert_false(check_command(&vending, "command", payload.get(), 60).has_value());
    assert_false(check_command(&vending, "config", payload.get(), 1).has_value());
    assert_text_equal(check_command(&vending, "dispense_result", payload.get(), 60)->field,
                      "subtopic");
    assert_text_equal(check_command(nullptr, "command", payload.get(), 60)->field, "subtopic");
    // The door lock's PIN verdicts belong to the doorlock plugin, not the outbox.
    assert_true(check_command(&kind("door-lock"), "pin/verdict", payload.get(), 60).has_value());
    json::Ptr list = parsed("[1]");
    assert_text_equal(check_command(&vending, "command", list.get(), 60)->field, "payload");
    json::Ptr with_id = parsed(R"({"id":"x"})");
    assert_text_equal(check_command(&vending, "command", with_id.get(), 60)->field, "payload");
    std::string big = R"({"blob":")" + std::string(max_payload_bytes, 'x') + R"("})";
    json::Ptr large = parsed(big.c_str());
    assert_text_equal(check_command(&vending, "command", large.get(), 60)->field, "payload");
    assert_text_equal(check_command(&vending, "command", payload.get(), 0)->field, "timeout_s");
    assert_text_equal(check_command(&vending, "command", payload.get(), max_timeout_s + 1)->field,
                      "timeout_s");
}

void every_command_topic_is_a_subscribe_and_every_answer_a_publish(void**) {
    for (const KindSpec& spec : all_kinds()) {
        for (const CommandTopic& topic : spec.commands) {
            assert_true(std::find(spec.subscribes.begin(), spec.subscribes.end(), topic.subtopic) !=
                        spec.subscribes.end());
            if (!topic.ack_subtopic.empty()) {
                assert_true(std::find(spec.publishes.begin(), spec.publishes.end(),
                                      topic.ack_subtopic) != spec.publishes.end());
                assert_true(may_be_ack_topic(std::string("x/") + std::string(topic.ack_subtopic)));
            }
        }
    }
    assert_false(may_be_ack_topic("hydro/pi-1/reading"));
    assert_false(may_be_ack_topic("dispense_result")); // not under a prefix
}

void expect(const char* kind_name, const char* subtopic, bool admin, RawVerdict verdict,
            std::string_view route = {}) {
    RawDecision decision = raw_command_decision(find_kind(kind_name), subtopic, admin);
    if (decision.verdict != verdict || decision.route != route)
        fail_msg("%s/%s (admin %d): verdict %d route '%.*s'", kind_name, subtopic, admin,
                 static_cast<int>(decision.verdict), static_cast<int>(decision.route.size()),
                 decision.route.data());
}

// Issue #21 item 1: a door unlock and a dispense never go out on the generic route, for anyone.
void the_generic_route_refuses_what_a_dedicated_route_checks(void**) {
    for (bool admin : {false, true}) {
        expect("door-lock", "control", admin, RawVerdict::use_route,
               "POST /api/device/control/door");
        expect("door-lock", "settings", admin, RawVerdict::use_route, "PUT /api/device/settings");
        expect("vending", "command", admin, RawVerdict::use_route, "POST /api/dispense/trigger");
        expect("vending", "config", admin, RawVerdict::use_route,
               "PUT /api/v1/vending/machines/{id}/config");
        expect("parcel-box", "settings/set", admin, RawVerdict::use_route,
               "PUT /api/device/settings");
        expect("parcel-box", "control", admin, RawVerdict::allowed);
        expect("relay", "command", admin, RawVerdict::allowed);
        expect("env-sensor", "command", admin, RawVerdict::allowed);
        expect("env-sensor", "config", admin, RawVerdict::allowed);
        expect("hydro-sensor", "config", admin, RawVerdict::allowed);
        // Not a command topic: check_command's 422 answers it.
        expect("door-lock", "pin/verdict", admin, RawVerdict::unknown_topic);
        expect("relay", "state", admin, RawVerdict::unknown_topic);
    }
    assert_true(raw_command_decision(nullptr, "command", true).verdict ==
                RawVerdict::unknown_topic);
}

void an_admin_only_topic_admits_administrators_alone(void**) {
    KindSpec spec{"test", "test", {}, {"reboot"}, {}, {}};
    spec.commands.push_back({"reboot", "", "", false, CommandSender::admin, ""});
    assert_true(raw_command_decision(&spec, "reboot", false).verdict == RawVerdict::admin_only);
    assert_true(raw_command_decision(&spec, "reboot", true).verdict == RawVerdict::allowed);
    // The closed value is the default: a topic that forgot its policy is admin-only.
    CommandTopic forgot{};
    assert_true(forgot.sender == CommandSender::admin);
}

void every_route_only_topic_names_its_route(void**) {
    for (const KindSpec& spec : all_kinds()) {
        for (const CommandTopic& topic : spec.commands) {
            bool routed = topic.sender == CommandSender::route_only;
            if (routed != !topic.route.empty())
                fail_msg("%.*s/%.*s: a route exactly when the topic is route_only",
                         static_cast<int>(spec.name.size()), spec.name.data(),
                         static_cast<int>(topic.subtopic.size()), topic.subtopic.data());
            if (routed)
                assert_true(topic.route.starts_with("POST /api/") ||
                            topic.route.starts_with("PUT /api/"));
        }
    }
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(states_only_move_forward),
        cmocka_unit_test(an_echoed_id_settles_exactly_that_command),
        cmocka_unit_test(a_dispense_result_settles_only_its_order),
        cmocka_unit_test(a_control_ack_pairs_by_action_then_oldest_without_one),
        cmocka_unit_test(only_a_remote_unlock_status_settles_a_remote_unlock),
        cmocka_unit_test(answers_without_keys_settle_the_oldest),
        cmocka_unit_test(answers_say_acked_or_failed),
        cmocka_unit_test(what_may_be_queued),
        cmocka_unit_test(every_command_topic_is_a_subscribe_and_every_answer_a_publish),
        cmocka_unit_test(the_generic_route_refuses_what_a_dedicated_route_checks),
        cmocka_unit_test(an_admin_only_topic_admits_administrators_alone),
        cmocka_unit_test(every_route_only_topic_names_its_route),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
