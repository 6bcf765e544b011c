#include "fakes.hpp"
#include "sarang_fw/backoff.hpp"
#include "sarang_fw/command_memory.hpp"
#include "sarang_fw/outbox.hpp"

#include "cmocka.hpp"

using namespace sarang_fw;

namespace {

void backoff_doubles_with_jitter_up_to_the_cap(void**) {
    fakes::Random lowest; // next() = 0: the fixed half only
    Backoff backoff(1000, 8000);
    std::uint32_t expected_low[] = {500, 1000, 2000, 4000, 4000, 4000};
    for (std::uint32_t low : expected_low)
        assert_int_equal(backoff.next_delay_ms(lowest), low);
    fakes::Random highest;
    highest.value = 0xffffffffu;
    Backoff other(1000, 8000);
    // The random half spreads up to the full ceiling: 1000 -> [500, 1000].
    std::uint32_t first = other.next_delay_ms(highest);
    assert_true(first >= 500 && first <= 1000);
    backoff.reset();
    assert_int_equal(backoff.next_delay_ms(lowest), 500);
}

void a_repeated_command_is_recognised_and_answered_again(void**) {
    CommandMemory memory(2);
    assert_true(memory.first_time("c-1"));
    assert_false(memory.first_time("c-1"));
    assert_false(memory.answer_for("c-1").has_value()); // still being carried out
    memory.answered("c-1", {"vm/VM01/dispense_result", "{}"});
    assert_text_equal(memory.answer_for("c-1")->topic, "vm/VM01/dispense_result");
    assert_true(memory.first_time("c-2"));
    assert_true(memory.first_time("c-3")); // c-1 is forgotten: the memory is bounded
    assert_true(memory.first_time("c-1"));
}

void the_outbox_keeps_what_the_broker_has_not_acknowledged(void**) {
    Outbox outbox(3);
    outbox.add("t", "a", 1);
    outbox.add("t", "b", 2);
    outbox.add("t", "c", -1); // offline: never sent
    assert_true(outbox.acknowledged(1));
    assert_false(outbox.acknowledged(1));
    assert_false(outbox.acknowledged(-1));
    assert_int_equal(outbox.size(), 2);
    std::vector<PendingMessage*> again = outbox.to_send_again();
    assert_int_equal(again.size(), 2);
    assert_text_equal(again[0]->payload, "b");
    assert_int_equal(again[0]->message_id, -1);
    outbox.add("t", "d", 7);
    outbox.add("t", "e", 8); // full: "b", the oldest, goes
    assert_int_equal(outbox.size(), 3);
    assert_int_equal(outbox.dropped(), 1);
    assert_text_equal(outbox.to_send_again()[0]->payload, "c");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_with_jitter_up_to_the_cap),
        cmocka_unit_test(a_repeated_command_is_recognised_and_answered_again),
        cmocka_unit_test(the_outbox_keeps_what_the_broker_has_not_acknowledged),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
