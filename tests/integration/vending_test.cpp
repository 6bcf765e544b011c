// Vending with the real stack (issue #7, docs/vending.md): the seed's "Testing MQTT
// Integration" steps with a simulated machine, the payment webhook (signature, idempotency,
// expiry), timeouts and late results, rejected results, telemetry slot levels, and 1,000
// randomised orders whose duplicate, late, reordered and foreign results never break
// "stock = initial - successful dispenses".
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "sarang/vending.hpp"
#include "stack_env.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

// vending.midtrans_server_key in CMakeLists' SARANG_TEST_CONF for this test.
const std::string server_key = "SB-Mid-server-test-key";

std::string scalar(const std::string& sql, const pg::Params& params = {}) {
    pg::Result rows = db().exec(sql, params);
    assert_int_equal(rows.rows(), 1);
    return std::string(rows.text(0, 0));
}

const AppAccount& admin() {
    static AppAccount account = create_account(unique_id("vm-admin"), "admin");
    return account;
}

struct Machine {
    std::string id, password, prefix;
    std::unique_ptr<MqttClient> client;
};

// A vending machine owned by the admin, connected and recorded online, with `slots` slots of
// the given stock (capacity 1000, price 10000).
Machine make_machine(const std::string& stem, int slots, int stock) {
    Machine machine;
    machine.id = unique_id(stem);
    machine.password = create_device(machine.id, "vending", "--owner " + admin().username);
    machine.prefix = "vm/" + machine.id;
    for (int slot = 1; slot <= slots; ++slot) {
        HttpResult put = http_request(
            stack_env().http_port, "PUT",
            "/api/v1/vending/machines/" + machine.id + "/slots/" + std::to_string(slot),
            R"({"price":10000,"capacity":1000,"stock":)" + std::to_string(stock) + "}",
            bearer(admin().token));
        if (put.status != 201)
            print_message("slot PUT: %d %s\n", put.status, put.body.c_str());
        assert_int_equal(put.status, 201);
    }
    machine.client = std::make_unique<MqttClient>(machine.id);
    assert_int_equal(machine.client->connect(stack_env().mqtt_port, machine.id, machine.password),
                     0);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (scalar("SELECT online FROM devices WHERE id = $1", {machine.id}) != "t") {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(50ms);
    }
    return machine;
}

std::string create_order(const Machine& machine, int slot, const std::string& id, bool paid,
                         int expect = 201) {
    HttpResult created =
        api_post("/api/v1/vending/orders",
                 R"({"machine_id":")" + machine.id + R"(","slot":)" + std::to_string(slot) +
                     R"(,"order_id":")" + id + R"(","paid":)" + (paid ? "true" : "false") + "}",
                 admin().token);
    if (created.status != expect)
        print_message("order: %d %s\n", created.status, created.body.c_str());
    assert_int_equal(created.status, expect);
    return created.body;
}

std::string order_status(const std::string& id) {
    return scalar("SELECT status FROM orders WHERE id = $1", {id});
}

void wait_status(const std::string& id, const std::string& status,
                 std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (order_status(id) != status) {
        if (std::chrono::steady_clock::now() > deadline) {
            print_message("order %s is %s, not %s\n", id.c_str(), order_status(id).c_str(),
                          status.c_str());
            fail();
        }
        std::this_thread::sleep_for(50ms);
    }
}

long long stock_of(const Machine& machine, int slot) {
    return std::stoll(scalar("SELECT stock FROM slots WHERE machine_id = $1 AND slot_number = $2",
                             {machine.id, std::to_string(slot)}));
}

std::string result_payload(const std::string& order, int slot, bool success,
                           const std::string& error = "null") {
    return R"({"orderId":")" + order + R"(","slot":)" + std::to_string(slot) + R"(,"success":)" +
           (success ? "true" : "false") + R"(,"dropDetected":)" + (success ? "true" : "false") +
           R"(,"durationMs":1850,"error":)" + error + "}";
}

void publish(Machine& machine, const std::string& subtopic, const std::string& payload) {
    assert_true(accepted(machine.client->publish(machine.prefix + "/" + subtopic, payload)));
}

std::string notification(const std::string& order, const std::string& status,
                         const std::string& amount, const std::string& key = server_key) {
    std::string code = status == "settlement" || status == "capture" ? "200" : "202";
    std::string signature = vending::midtrans_signature(order, code, amount, key);
    return R"({"order_id":")" + order + R"(","status_code":")" + code + R"(","gross_amount":")" +
           amount + R"(","transaction_status":")" + status + R"(","transaction_id":"tx-)" + order +
           R"(","fraud_status":"accept",)" + R"("payment_type":"qris","signature_key":")" +
           signature + R"("})";
}

HttpResult webhook(const std::string& body) {
    return http_request(stack_env().http_port, "POST", "/api/payments/webhook", body);
}

// Seed 001, "Testing MQTT Integration": subscribe to vm/VM01/command, POST
// /api/dispense/trigger {"order_id"}, answer on vm/VM01/dispense_result, check the tables.
void the_seeds_mqtt_test_steps_work(void**) {
    Machine machine = make_machine("VM01", 1, 5);
    std::string order = unique_id("test-order-123");
    create_order(machine, 1, order, true); // a cash payment: PAID, waiting for the trigger
    assert_int_equal(machine.client->subscribe(machine.prefix + "/command"), 1);

    HttpResult trigger =
        api_post("/api/dispense/trigger", R"({"order_id":")" + order + R"("})", admin().token);
    if (trigger.status != 202)
        print_message("trigger: %d %s\n", trigger.status, trigger.body.c_str());
    assert_int_equal(trigger.status, 202);
    assert_true(machine.client->wait_message(machine.prefix + "/command", 5s));
    std::string command = machine.client->payloads(machine.prefix + "/command").at(0);
    assert_text_equal(json_field(command, "cmd"), "dispense");
    assert_int_equal(json_integer_field(command, "slot"), 1);
    assert_text_equal(json_field(command, "orderId"), order);
    assert_int_equal(json_integer_field(command, "timeoutMs"), 2150);
    assert_int_equal(json_field(command, "id").size(), 36); // the outbox's id, ignored by seeds
    assert_text_equal(order_status(order), "DISPENSING");

    publish(machine, "dispense_result", result_payload(order, 1, true));
    wait_status(order, "COMPLETED");
    assert_text_equal(scalar("SELECT success::text || drop_detected::text || duration_ms"
                             " || coalesce(error, '-') FROM dispense_logs WHERE order_id = $1",
                             {order}),
                      "truetrue1850-");
    assert_text_equal(
        scalar("SELECT (dispensed_at IS NOT NULL)::text FROM orders WHERE id = $1", {order}),
        "true");
    assert_int_equal(stock_of(machine, 1), 4);
    assert_text_equal(scalar("SELECT change || ' ' || stock_after || ' ' || reason"
                             " FROM stock_logs WHERE order_id = $1",
                             {order}),
                      "-1 4 dispense");
    // The commands plugin settled the command row from the same message.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (scalar("SELECT state FROM commands WHERE correlation = $1", {order}) != "acked") {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(50ms);
    }
    // A second trigger finds nothing PAID to dispense.
    assert_int_equal(
        api_post("/api/dispense/trigger", R"({"order_id":")" + order + R"("})", admin().token)
            .status,
        409);
    HttpResult logs =
        api_get("/api/v1/vending/machines/" + machine.id + "/dispense-logs", admin().token);
    assert_int_equal(logs.status, 200);
    assert_int_equal(json_integer_field(logs.body, "count"), 1);
}

void the_webhook_verifies_pays_dispenses_and_ignores_repeats(void**) {
    Machine machine = make_machine("vm-pay", 1, 3);
    std::string order = unique_id("ORD-pay");
    create_order(machine, 1, order, false);
    assert_text_equal(order_status(order), "PENDING");

    // Bad signatures: 401 and nothing written.
    assert_int_equal(webhook(notification(order, "settlement", "10000.00", "wrong-key")).status,
                     401);
    std::string tampered = notification(order, "settlement", "10000.00");
    tampered.replace(tampered.find("\"200\""), 5, "\"201\"");
    assert_int_equal(webhook(tampered).status, 401);
    assert_int_equal(webhook(R"({"order_id":")" + order + R"("})").status, 422);
    assert_text_equal(scalar("SELECT count(*) FROM payments WHERE order_id = $1", {order}), "0");
    assert_text_equal(order_status(order), "PENDING");
    // A correct signature over the wrong amount changes nothing either.
    assert_int_equal(webhook(notification(order, "settlement", "5000.00")).status, 422);
    assert_text_equal(order_status(order), "PENDING");

    HttpResult paid = webhook(notification(order, "settlement", "10000.00"));
    assert_int_equal(paid.status, 200);
    assert_text_equal(json_field(paid.body, "status"), "ok");
    assert_text_equal(order_status(order), "DISPENSING");
    assert_true(machine.client->wait_message(machine.prefix + "/command", 5s));
    assert_text_equal(
        json_field(machine.client->payloads(machine.prefix + "/command").at(0), "orderId"), order);
    // The gateway repeats itself: nothing changes, no second command.
    for (int i = 0; i < 3; ++i) {
        HttpResult again = webhook(notification(order, "settlement", "10000.00"));
        assert_int_equal(again.status, 200);
        assert_text_equal(json_field(again.body, "status"), "duplicate");
    }
    assert_text_equal(scalar("SELECT count(*) FROM payments WHERE order_id = $1", {order}), "1");
    assert_text_equal(scalar("SELECT count(*) FROM commands WHERE correlation = $1", {order}), "1");
    publish(machine, "dispense_result", result_payload(order, 1, true));
    wait_status(order, "COMPLETED");
    assert_int_equal(stock_of(machine, 1), 2);
    // A late expire for a completed order is recorded and changes nothing.
    assert_int_equal(webhook(notification(order, "expire", "10000.00")).status, 200);
    assert_text_equal(order_status(order), "COMPLETED");

    std::string expiring = unique_id("ORD-exp");
    create_order(machine, 1, expiring, false);
    assert_int_equal(webhook(notification(expiring, "expire", "10000.00")).status, 200);
    assert_text_equal(order_status(expiring), "FAILED");
    assert_text_equal(scalar("SELECT error FROM orders WHERE id = $1", {expiring}),
                      "payment expire");
    // Paid after expiry: recorded, the order stays FAILED (a refund case), nothing dispensed.
    assert_int_equal(webhook(notification(expiring, "settlement", "10000.00")).status, 200);
    assert_text_equal(order_status(expiring), "FAILED");
    assert_text_equal(scalar("SELECT count(*) FROM dispense_logs WHERE order_id = $1", {expiring}),
                      "0");
    assert_int_equal(webhook(notification(unique_id("ORD-none"), "settlement", "10000.00")).status,
                     404);
}

void no_result_in_time_fails_the_order_and_a_late_result_counts_once(void**) {
    Machine machine = make_machine("vm-late", 1, 10);
    std::string order = unique_id("ORD-late");
    create_order(machine, 1, order, true);
    // timeoutMs 300 + vending.result_grace_ms 500 (this test's config).
    assert_int_equal(api_post("/api/dispense/trigger",
                              R"({"order_id":")" + order + R"(","timeout_ms":300})", admin().token)
                         .status,
                     202);
    wait_status(order, "FAILED", 5s);
    assert_text_equal(scalar("SELECT error FROM orders WHERE id = $1", {order}), "timeout");
    assert_int_equal(stock_of(machine, 1), 10);
    publish(machine, "dispense_result", result_payload(order, 1, true));
    publish(machine, "dispense_result", result_payload(order, 1, true));
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (scalar("SELECT late::text FROM dispense_logs WHERE order_id = $1", {order}) != "true") {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(500ms);
    assert_text_equal(order_status(order), "FAILED");
    assert_int_equal(stock_of(machine, 1), 9); // the item did drop: counted once
    assert_text_equal(scalar("SELECT count(*) FROM stock_logs WHERE order_id = $1", {order}), "1");
}

void foreign_unknown_and_mismatched_results_change_nothing(void**) {
    Machine machine = make_machine("vm-own", 2, 5);
    Machine other = make_machine("vm-other", 2, 5);
    std::string order = unique_id("ORD-own");
    create_order(machine, 1, order, true);
    assert_int_equal(
        api_post("/api/dispense/trigger", R"({"order_id":")" + order + R"("})", admin().token)
            .status,
        202);
    publish(other, "dispense_result", result_payload(order, 1, true));        // another machine
    publish(machine, "dispense_result", result_payload(order, 2, true));      // wrong slot
    publish(machine, "dispense_result", result_payload("ORD-nope", 1, true)); // unknown order
    publish(machine, "dispense_result", R"({"orderId":")" + order + R"(","slot":1})"); // no success
    publish(machine, "dispense_result", "not json");
    std::this_thread::sleep_for(1s);
    assert_text_equal(order_status(order), "DISPENSING");
    assert_int_equal(stock_of(machine, 1), 5);
    assert_int_equal(stock_of(other, 1), 5);
    publish(machine, "dispense_result", result_payload(order, 1, false, R"("motor jam")"));
    wait_status(order, "FAILED");
    assert_text_equal(scalar("SELECT error FROM orders WHERE id = $1", {order}), "motor jam");
    assert_int_equal(stock_of(machine, 1), 5); // a failed dispense takes nothing
}

// Issue #21 item 2: poisoned results (not UTF-8, huge, wrong JSON types, a \u0000 that jsonb
// refuses) cost at most themselves; the result writer goes on and the good result settles.
void poisoned_results_never_stop_the_result_writer(void**) {
    Machine machine = make_machine("vm-poison", 1, 5);
    std::string order = unique_id("ORD-poison");
    create_order(machine, 1, order, true);
    assert_int_equal(
        api_post("/api/dispense/trigger", R"({"order_id":")" + order + R"("})", admin().token)
            .status,
        202);
    publish(machine, "dispense_result", "\xFF\xFE\xFD\xFC");
    publish(machine, "dispense_result",
            R"({"orderId":")" + order + R"(","slot":1,"success":false,"error":")" +
                std::string(15 * 1024, 'x') + "\xC3\"}");
    publish(machine, "dispense_result",
            R"({"orderId":[")" + order + R"("],"slot":"1","success":"yes","durationMs":{}})");
    publish(machine, "dispense_result",
            R"({"orderId":")" + order + R"(","slot":1,"success":false,"error":"a\u0000b"})");
    publish(machine, "dispense_result", result_payload(order, 1, true));
    wait_status(order, "COMPLETED");
    assert_int_equal(stock_of(machine, 1), 4);

    // Issue #18 item 4: each refused result is one of the machine's rejections, counted once.
    assert_int_equal(wait_rejections(machine.id, admin().token, 4).count, 4);
    std::string stray = result_payload(unique_id("ORD-none"), 1, true);
    publish(machine, "dispense_result", stray);
    Rejections rejected = wait_rejections(machine.id, admin().token, 5);
    assert_int_equal(rejected.count, 5);
    assert_text_equal(rejected.last_reason, "unknown_order");
    assert_text_equal(rejected.last_sample, stray);
}

void telemetry_levels_update_slots_and_empty_or_sold_out_slots_refuse_orders(void**) {
    Machine machine = make_machine("vm-tel", 2, 1);
    publish(machine, "telemetry",
            R"({"timestamp":"2025-11-04T10:30:00Z","slots":[{"id":1,"level":"EMPTY"},)"
            R"({"id":2,"level":"LOW"}],"temperature":25.5,"door":"CLOSED"})");
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (scalar("SELECT coalesce(level, '-') FROM slots WHERE machine_id = $1 AND"
                  " slot_number = 1",
                  {machine.id}) != "EMPTY") {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(100ms);
    }
    assert_text_equal(
        scalar("SELECT level FROM slots WHERE machine_id = $1 AND slot_number = 2", {machine.id}),
        "LOW");
    std::string refused = create_order(machine, 1, unique_id("ORD-empty"), false, 409);
    assert_text_equal(json_field(refused, "code"), "slot_empty");
    // Slot 2 has one item: the first order reserves it, the second is refused.
    create_order(machine, 2, unique_id("ORD-last"), false);
    std::string sold_out = create_order(machine, 2, unique_id("ORD-more"), false, 409);
    assert_text_equal(json_field(sold_out, "code"), "out_of_stock");
    // A restock clears the stale level and writes a stock log.
    HttpResult restock = api_post("/api/v1/vending/machines/" + machine.id + "/slots/1/restock",
                                  R"({"quantity":4})", admin().token);
    assert_int_equal(restock.status, 200);
    assert_int_equal(json_integer_field(restock.body, "stock"), 5);
    create_order(machine, 1, unique_id("ORD-full"), false);
    assert_text_equal(scalar("SELECT count(*) FROM stock_logs WHERE machine_id = $1 AND"
                             " reason = 'restock'",
                             {machine.id}),
                      "1");
}

// 1,000 orders over 4 slots, each given a random fate: a success, a failure, duplicates
// (possibly contradicting), a result first from another machine or for the wrong slot, a result
// only after its deadline failed it, or a stray result for an order that does not exist. All
// results are shuffled together and published by the machine and a foreign machine.
void random_results_never_break_the_stock_invariant(void**) {
    constexpr int orders = 1000, slots = 4, initial = 1000;
    unsigned seed = std::random_device{}();
    if (const char* fixed = std::getenv("SARANG_TEST_SEED"))
        seed = static_cast<unsigned>(std::stoul(fixed));
    print_message("seed %u (SARANG_TEST_SEED to repeat)\n", seed);
    std::mt19937 random(seed);
    Machine machine = make_machine("vm-rand", slots, initial);
    Machine foreign = make_machine("vm-foreign", slots, initial);
    std::string stem = unique_id("R");

    struct Event {
        bool from_foreign;
        std::string payload;
        int order;                  // -1: not one of ours
        std::optional<bool> counts; // a valid result from the machine: its success
    };
    std::vector<Event> events;
    std::vector<bool> late(orders);
    for (int i = 0; i < orders; ++i) {
        std::string id = stem + "-" + std::to_string(i);
        int slot = 1 + i % slots;
        int fate = static_cast<int>(random() % 7);
        late[i] = fate == 5;
        bool success = random() % 3 != 0;
        events.push_back({false, result_payload(id, slot, success), i, success});
        switch (fate) {
        case 2: { // a redelivery, then a second result that may contradict the first
            events.push_back({false, result_payload(id, slot, success), i, success});
            bool again = random() % 2 == 0;
            events.push_back({false, result_payload(id, slot, again), i, again});
            break;
        }
        case 3:
            events.push_back({true, result_payload(id, slot, true), i, std::nullopt});
            break;
        case 4:
            events.push_back({false, result_payload(id, slot % slots + 1, true), i, std::nullopt});
            break;
        case 6:
            events.push_back({false, result_payload(stem + "-x" + std::to_string(i), slot, true),
                              -1, std::nullopt});
            break;
        default:
            break;
        }
    }
    std::shuffle(events.begin(), events.end(), random);

    // The orders, straight into DISPENSING with their dispense logs (as start_dispense leaves
    // them); the late ones with a deadline already past, so the sweep fails them first.
    std::vector<std::string> ids, slot_numbers, deadlines;
    for (int i = 0; i < orders; ++i) {
        ids.push_back(stem + "-" + std::to_string(i));
        slot_numbers.push_back(std::to_string(1 + i % slots));
        deadlines.push_back(late[i] ? "-1" : "120");
    }
    // One statement: the timeout sweep must never see an order without its dispense log.
    db().exec("WITH placed AS (INSERT INTO orders (id, machine_id, slot_number, amount, status,"
              "   paid_at, dispensing_at, dispense_deadline)"
              " SELECT o, $1, s::integer, 10000, 'DISPENSING', now(), now(),"
              "   now() + make_interval(secs => d::double precision)"
              " FROM unnest($2::text[], $3::text[], $4::text[]) AS t(o, s, d)"
              " RETURNING id, machine_id, slot_number)"
              " INSERT INTO dispense_logs (order_id, machine_id, slot_number, timeout_ms)"
              " SELECT id, machine_id, slot_number, 2150 FROM placed",
              {machine.id, pg::array_literal(ids), pg::array_literal(slot_numbers),
               pg::array_literal(deadlines)});
    long long late_count = std::count(late.begin(), late.end(), true);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::stoll(scalar("SELECT count(*) FROM dispense_logs WHERE order_id = ANY($1::text[])"
                             " AND timed_out_at IS NOT NULL",
                             {pg::array_literal(ids)})) < late_count) {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(100ms);
    }

    // What must happen: the first valid result of each order decides it.
    std::vector<std::optional<bool>> decided(orders);
    for (Event& event : events) {
        if (!event.from_foreign && event.order >= 0 && event.counts && !decided[event.order])
            decided[event.order] = *event.counts;
    }
    std::vector<long long> expected_taken(slots + 1);
    for (int i = 0; i < orders; ++i) {
        assert_true(decided[i].has_value());
        if (*decided[i])
            ++expected_taken[1 + i % slots];
    }
    auto started = std::chrono::steady_clock::now();
    for (Event& event : events)
        publish(event.from_foreign ? foreign : machine, "dispense_result", event.payload);
    deadline = std::chrono::steady_clock::now() + 40s;
    while (scalar("SELECT count(*) FROM dispense_logs WHERE order_id = ANY($1::text[])"
                  " AND result_at IS NULL",
                  {pg::array_literal(ids)}) != "0") {
        assert_true(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(1s); // the duplicates and rejections still queued
    print_message("%zu results settled in %lld ms\n", events.size(),
                  static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count()));

    for (int slot = 1; slot <= slots; ++slot) {
        long long successes =
            std::stoll(scalar("SELECT count(*) FROM dispense_logs WHERE machine_id = $1 AND"
                              " slot_number = $2 AND success",
                              {machine.id, std::to_string(slot)}));
        long long logged = std::stoll(
            scalar("SELECT coalesce(-sum(change), 0) FROM stock_logs WHERE machine_id = $1 AND"
                   " slot_number = $2 AND reason IN ('dispense', 'late_dispense')",
                   {machine.id, std::to_string(slot)}));
        assert_int_equal(successes, expected_taken[slot]);
        assert_int_equal(stock_of(machine, slot), initial - successes);
        assert_int_equal(logged, successes);
        assert_int_equal(stock_of(foreign, slot), initial);
    }
    for (int i = 0; i < orders; ++i) {
        std::string status = order_status(ids[i]);
        if (late[i])
            assert_text_equal(status, "FAILED");
        else
            assert_text_equal(status, *decided[i] ? "COMPLETED" : "FAILED");
    }
    assert_text_equal(scalar("SELECT count(*) FROM dispense_logs WHERE order_id = ANY($1::text[])"
                             " AND late",
                             {pg::array_literal(ids)}),
                      std::to_string(late_count));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_seeds_mqtt_test_steps_work),
        cmocka_unit_test(the_webhook_verifies_pays_dispenses_and_ignores_repeats),
        cmocka_unit_test(no_result_in_time_fails_the_order_and_a_late_result_counts_once),
        cmocka_unit_test(foreign_unknown_and_mismatched_results_change_nothing),
        cmocka_unit_test(poisoned_results_never_stop_the_result_writer),
        cmocka_unit_test(telemetry_levels_update_slots_and_empty_or_sold_out_slots_refuse_orders),
        cmocka_unit_test(random_results_never_break_the_stock_invariant),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
