#include "sarang/db_loop.hpp"
#include "sarang/worker.hpp"

#include <new>
#include <thread>

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

// Issue #21: an exception escaping a worker body used to end the thread for good ("worker
// ended by exception"); now the supervisor counts it and starts the body again.
void a_body_that_throws_is_restarted_and_counted(void**) {
    std::atomic<int> runs{0};
    std::atomic<bool> status_seen{false};
    Worker worker(
        "test-restart",
        [&](std::stop_token stop) {
            int run = ++runs;
            status_seen = current_worker_status() != nullptr;
            if (run == 1)
                throw std::runtime_error("bad item");
            if (run == 2)
                throw 42; // not a std::exception
            while (!stop.stop_requested())
                sleep_unless_stopped(stop, 5ms);
        },
        FileTable::shared, "tests");
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (runs.load() < 3 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    assert_int_equal(runs.load(), 3);
    assert_int_equal(worker.status().restarts.load(), 2);
    assert_text_equal(worker.status().last_error(), "unknown exception");
    assert_true(worker.status().last_restart_at().has_value());
    assert_text_equal(worker.status().plugin, "tests");
    assert_text_equal(worker.status().worker, "test-restart");
    assert_true(status_seen.load());
}

void a_body_that_returns_is_not_restarted(void**) {
    std::atomic<int> runs{0};
    {
        Worker worker("test-return", [&](std::stop_token) { ++runs; });
        std::this_thread::sleep_for(50ms); // a restart would come after 50-100 ms
        assert_int_equal(worker.status().restarts.load(), 0);
    }
    assert_int_equal(runs.load(), 1);
}

// One poisoned item (any exception but an outage) is counted and skipped; the rest of the
// batch is handled. An outage leaves `next` at the item for the next round.
void db_loop_skips_a_poisoned_item_and_keeps_an_outage_item(void**) {
    DbLoopOptions options;
    options.component = "test";
    options.dsn = "host=/nonexistent";
    options.application_name = "test";
    DbLoop loop(std::move(options));
    std::vector<int> items = {1, 2, 3, 4};
    std::vector<int> handled;
    std::size_t next = 0;
    auto describe = [](int item) { return "item " + std::to_string(item); };
    loop.each(
        items, next,
        [&](int item) {
            if (item == 2)
                throw std::bad_alloc();
            if (item == 3)
                throw pg::Error("bad value", "22P02", pg::ErrorKind::reject);
            handled.push_back(item);
        },
        describe);
    assert_int_equal(next, 4);
    assert_int_equal(handled.size(), 2);
    assert_int_equal(handled[1], 4);
    assert_int_equal(loop.poisoned(), 2);

    next = 0;
    bool raised = false;
    try {
        loop.each(
            items, next,
            [&](int item) {
                if (item == 3)
                    throw pg::Error("gone", "08006", pg::ErrorKind::reconnect);
            },
            describe);
    } catch (const pg::Error&) {
        raised = true;
    }
    assert_true(raised);
    assert_int_equal(next, 2);
    assert_int_equal(loop.poisoned(), 2);
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
        cmocka_unit_test(a_body_that_throws_is_restarted_and_counted),
        cmocka_unit_test(a_body_that_returns_is_not_restarted),
        cmocka_unit_test(db_loop_skips_a_poisoned_item_and_keeps_an_outage_item),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
