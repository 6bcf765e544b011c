#include "presence_outbox.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::access;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(int second) {
    return std::chrono::system_clock::time_point{} + std::chrono::seconds(second);
}

PresenceChange change(const char* device, bool online, int second) {
    return {device, online, at(second), std::nullopt};
}

void latest_state_is_coalesced_and_history_kept_in_order(void**) {
    PresenceOutbox outbox(100);
    outbox.record(change("pi-1", true, 1));
    outbox.record(change("pi-1", false, 2));
    outbox.record(change("pi-2", true, 3));
    std::stop_source never;
    PresenceOutbox::Batch batch = outbox.take(never.get_token(), 0ms);
    assert_int_equal(batch.latest.size(), 2);
    assert_false(batch.latest.at("pi-1").online);
    assert_int_equal(batch.history.size(), 3);
    assert_true(batch.history[0].online);
    assert_false(batch.history[1].online);
    assert_true(outbox.take(never.get_token(), 0ms).empty());
}

void a_failed_batch_comes_back_without_overwriting_newer_states(void**) {
    PresenceOutbox outbox(100);
    std::stop_source never;
    outbox.record(change("pi-1", true, 1));
    PresenceOutbox::Batch failed = outbox.take(never.get_token(), 0ms);
    outbox.record(change("pi-1", false, 2)); // arrives while the write is failing
    outbox.give_back(std::move(failed));
    PresenceOutbox::Batch retry = outbox.take(never.get_token(), 0ms);
    assert_false(retry.latest.at("pi-1").online); // the newer state wins
    assert_int_equal(retry.history.size(), 2);
    assert_true(retry.history[0].online); // history keeps its order: old first
    assert_false(retry.history[1].online);
    assert_true(retry.latest.at("pi-1").connected_at == at(1)); // the given-back connect kept
}

// A sensor that wakes, publishes and sleeps within one batch still has its connect recorded.
void a_visit_within_one_batch_keeps_its_connect_time(void**) {
    PresenceOutbox outbox(100);
    std::stop_source never;
    outbox.record(change("pi-1", true, 1));
    outbox.record(change("pi-1", false, 2));
    outbox.record(change("pi-1", true, 3));
    outbox.record(change("pi-1", false, 4));
    outbox.record(change("pi-2", false, 5)); // never connected in this batch
    PresenceOutbox::Batch batch = outbox.take(never.get_token(), 0ms);
    assert_false(batch.latest.at("pi-1").online);
    assert_true(batch.latest.at("pi-1").connected_at == at(3));
    assert_false(batch.latest.at("pi-2").connected_at.has_value());
}

void history_is_bounded_but_latest_state_never_lost(void**) {
    PresenceOutbox outbox(3);
    for (int i = 0; i < 10; ++i)
        outbox.record(change(("pi-" + std::to_string(i)).c_str(), true, i));
    std::stop_source never;
    PresenceOutbox::Batch batch = outbox.take(never.get_token(), 0ms);
    assert_int_equal(batch.history.size(), 3);
    assert_int_equal(batch.latest.size(), 10);
    assert_int_equal(outbox.history_dropped(), 7);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(latest_state_is_coalesced_and_history_kept_in_order),
        cmocka_unit_test(a_failed_batch_comes_back_without_overwriting_newer_states),
        cmocka_unit_test(a_visit_within_one_batch_keeps_its_connect_time),
        cmocka_unit_test(history_is_bounded_but_latest_state_never_lost),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
