#include "sarang/worker.hpp"

#include <atomic>
#include <csignal>
#include <pthread.h>
#include <stdexcept>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace std::chrono_literals;

namespace {

void queue_refuses_when_full_and_keeps_order(void**) {
    BoundedQueue<int> queue(3);
    for (int i = 1; i <= 3; ++i)
        assert_true(queue.try_push(int(i)));
    assert_false(queue.try_push(4));
    assert_int_equal(queue.depth(), 3);
    std::stop_source never;
    std::vector<int> batch = queue.pop_batch(2, never.get_token(), 0ms);
    assert_int_equal(batch.size(), 2);
    assert_int_equal(batch[0], 1);
    assert_int_equal(batch[1], 2);
    assert_true(queue.try_push(5));
    batch = queue.pop_batch(10, never.get_token(), 0ms);
    assert_int_equal(batch.size(), 2);
    assert_int_equal(batch[0], 3);
    assert_int_equal(batch[1], 5);
}

void pop_batch_returns_empty_after_timeout_or_stop(void**) {
    BoundedQueue<int> queue(1);
    std::stop_source stop;
    auto started = std::chrono::steady_clock::now();
    assert_true(queue.pop_batch(1, stop.get_token(), 50ms).empty());
    assert_true(std::chrono::steady_clock::now() - started >= 45ms);
    stop.request_stop();
    started = std::chrono::steady_clock::now();
    assert_true(queue.pop_batch(1, stop.get_token(), 5s).empty());
    assert_true(std::chrono::steady_clock::now() - started < 1s);
}

void pop_batch_wakes_on_push_from_another_thread(void**) {
    BoundedQueue<int> queue(4);
    std::jthread producer([&] {
        std::this_thread::sleep_for(20ms);
        queue.try_push(7);
    });
    std::stop_source never;
    std::vector<int> batch = queue.pop_batch(4, never.get_token(), 5s);
    assert_int_equal(batch.size(), 1);
    assert_int_equal(batch[0], 7);
}

void mailbox_runs_actions_in_order_and_survives_a_throwing_one(void**) {
    Mailbox mailbox;
    std::vector<int> ran;
    mailbox.post([&] { ran.push_back(1); });
    mailbox.post([] { throw std::runtime_error("boom"); });
    mailbox.post([&] { ran.push_back(3); });
    assert_int_equal(mailbox.depth(), 3);
    assert_int_equal(mailbox.drain(), 3);
    assert_int_equal(ran.size(), 2);
    assert_int_equal(ran[0], 1);
    assert_int_equal(ran[1], 3);
    assert_int_equal(mailbox.drain(), 0);
}

void worker_blocks_broker_signals_and_stops_on_destruction(void**) {
    std::atomic<bool> all_blocked{false};
    std::atomic<bool> stopped{false};
    {
        Worker worker("test-worker", [&](std::stop_token stop) {
            sigset_t mask;
            pthread_sigmask(SIG_BLOCK, nullptr, &mask);
            all_blocked = sigismember(&mask, SIGINT) && sigismember(&mask, SIGTERM) &&
                          sigismember(&mask, SIGHUP) && sigismember(&mask, SIGUSR1) &&
                          sigismember(&mask, SIGUSR2);
            while (sleep_unless_stopped(stop, 10s)) {
            }
            stopped = true;
        });
        std::this_thread::sleep_for(20ms);
    } // ~Worker requests stop and joins
    assert_true(all_blocked.load());
    assert_true(stopped.load());
    // The creating thread's own mask is restored.
    sigset_t mine;
    pthread_sigmask(SIG_BLOCK, nullptr, &mine);
    assert_false(sigismember(&mine, SIGTERM));
}

void backoff_grows_to_its_ceiling_with_jitter(void**) {
    Backoff backoff(100ms, 1000ms);
    for (int i = 0; i < 20; ++i) {
        auto delay = backoff.next();
        assert_true(delay >= 50ms);
        assert_true(delay <= 1000ms);
    }
    auto late = backoff.next();
    assert_true(late >= 500ms); // ceiling reached: half to all of it
    backoff.reset();
    assert_true(backoff.next() <= 100ms);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(queue_refuses_when_full_and_keeps_order),
        cmocka_unit_test(pop_batch_returns_empty_after_timeout_or_stop),
        cmocka_unit_test(pop_batch_wakes_on_push_from_another_thread),
        cmocka_unit_test(mailbox_runs_actions_in_order_and_survives_a_throwing_one),
        cmocka_unit_test(worker_blocks_broker_signals_and_stops_on_destruction),
        cmocka_unit_test(backoff_grows_to_its_ceiling_with_jitter),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
