// The pure parts of the event stream: the SSE wire format and the bounded send queue.
#include "stream/sse.hpp"
#include "stream/stream_queue.hpp"

#include <algorithm>
#include <string>

#include "cmocka.hpp"

using namespace sarang::http;

namespace {

std::string drain(StreamQueue& queue, std::size_t step) {
    std::string out;
    char buffer[64];
    while (!queue.empty())
        out.append(buffer, queue.take(buffer, std::min(step, sizeof buffer)));
    return out;
}

void events_have_one_data_field_per_line(void**) {
    assert_text_equal(sse::event("device", R"({"id":"pi-1"})"),
                      "event: device\ndata: {\"id\":\"pi-1\"}\n\n");
    assert_text_equal(sse::event("x", "a\nb\r\nc\rd"),
                      "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    assert_text_equal(sse::event("x", ""), "event: x\ndata: \n\n");
    assert_text_equal(sse::comment("ping"), ": ping\n\n");
    assert_text_equal(sse::retry(3000), "retry: 3000\n\n");
}

void the_queue_refuses_what_would_pass_its_bound(void**) {
    StreamQueue queue(10);
    assert_true(queue.push("12345"));
    assert_true(queue.push("6789"));
    assert_false(queue.push("ab")); // 11 > 10: refused whole
    assert_int_equal(queue.bytes(), 9);
    assert_text_equal(drain(queue, 4), "123456789");
    assert_true(queue.push("0123456789"));
    queue.clear();
    assert_true(queue.empty());
}

void the_snapshot_goes_first_even_when_large(void**) {
    StreamQueue queue(4);
    assert_true(queue.push("ev1"));
    queue.push_front("a-snapshot-larger-than-the-bound");
    assert_text_equal(drain(queue, 7), "a-snapshot-larger-than-the-boundev1");
}

void a_half_sent_chunk_finishes_before_a_pushed_front(void**) {
    StreamQueue queue(100);
    assert_true(queue.push("abcdef"));
    char buffer[3];
    assert_int_equal(queue.take(buffer, 3), 3);
    queue.push_front("XY");
    assert_text_equal(drain(queue, 5), "defXY");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(events_have_one_data_field_per_line),
        cmocka_unit_test(the_queue_refuses_what_would_pass_its_bound),
        cmocka_unit_test(the_snapshot_goes_first_even_when_large),
        cmocka_unit_test(a_half_sent_chunk_finishes_before_a_pushed_front),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
