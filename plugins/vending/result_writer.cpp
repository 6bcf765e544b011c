// The result writer worker: one PostgreSQL transaction per dispense_result, and the deadline
// sweep.
//
// A result: the order row is locked first, then its dispense log is read, so the sweep and a
// result (on this node or another) never both decide one order. vending::classify_result says
// what the result may do (core vending.hpp): apply (dispense log, order COMPLETED or FAILED,
// on success stock - 1 and a stock log), late (after a timeout: dispense log only, plus the
// stock of an item that did drop), duplicate (nothing), or a rejection (logged, counted,
// nothing written). The unique index on stock_logs (order_id) for dispenses is the backstop
// against counting one order twice.
//
// The sweep (every 250 ms, every node, SKIP LOCKED): DISPENSING orders past their deadline
// become FAILED "timeout"; stock untouched.
//
// The loop is core's DbLoop: on a database outage the result in hand is retried until it is
// written or the plugin stops; a result that fails any other way (a jansson or PostgreSQL
// refusal, an exception) is counted and dropped, and the rest of the batch goes on.
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"
#include "sarang/rejection_outbox.hpp"
#include "sarang/vending.hpp"
#include "vending_plugin.hpp"

namespace sarang::vending {
namespace {

using namespace std::chrono_literals;

void prepare_statements(pg::Connection& db) {
    prepare_rejections(db);
    db.prepare("device", "SELECT kind, topic_prefix FROM devices WHERE id = $1");
    db.prepare("lock_order",
               "SELECT machine_id, slot_number, status FROM orders WHERE id = $1 FOR UPDATE");
    db.prepare("dispense_log", "SELECT result_at IS NOT NULL, timed_out_at IS NOT NULL"
                               " FROM dispense_logs WHERE order_id = $1");
    db.prepare("record_result",
               "UPDATE dispense_logs SET result_at = now(), success = $2, drop_detected = $3,"
               "   duration_ms = $4::integer, error = $5, result = $6::jsonb, late = $7"
               " WHERE order_id = $1 AND result_at IS NULL");
    db.prepare("settle_order",
               "UPDATE orders SET status = CASE WHEN $2 THEN 'COMPLETED' ELSE 'FAILED' END,"
               "   dispensed_at = CASE WHEN $2 THEN now() END,"
               "   failed_at = CASE WHEN $2 THEN NULL ELSE now() END,"
               "   error = CASE WHEN $2 THEN NULL ELSE coalesce($3, 'dispense failed') END"
               " WHERE id = $1 AND status = 'DISPENSING'");
    db.prepare("take_stock",
               "WITH taken AS (UPDATE slots SET stock = stock - 1, updated_at = now()"
               "   WHERE machine_id = $1 AND slot_number = $2 AND stock > 0 RETURNING stock)"
               " INSERT INTO stock_logs (machine_id, slot_number, change, stock_after, reason,"
               "   order_id) SELECT $1, $2, -1, stock, $3, $4 FROM taken");
    db.prepare("sweep", "WITH due AS (SELECT id FROM orders WHERE status = 'DISPENSING'"
                        "   AND dispense_deadline <= now() ORDER BY dispense_deadline LIMIT 500"
                        "   FOR UPDATE SKIP LOCKED),"
                        " failed AS (UPDATE orders o SET status = 'FAILED', error = 'timeout',"
                        "   failed_at = now() FROM due WHERE o.id = due.id RETURNING o.id)"
                        " UPDATE dispense_logs d SET timed_out_at = now(), error = 'timeout'"
                        " FROM failed WHERE d.order_id = failed.id AND d.result_at IS NULL"
                        " RETURNING d.order_id");
}

std::optional<std::string> optional_number(const std::optional<long long>& value) {
    return value ? std::optional(std::to_string(*value)) : std::nullopt;
}

std::optional<std::string> optional_flag(const std::optional<bool>& value) {
    return value ? std::optional(std::string(*value ? "true" : "false")) : std::nullopt;
}

// The short name device_rejections keeps for a refused outcome (sql/0018: [a-z_]).
const char* reason_name(ResultOutcome outcome) {
    switch (outcome) {
    case ResultOutcome::unknown_order:
        return "unknown_order";
    case ResultOutcome::other_machine:
        return "other_machine";
    case ResultOutcome::wrong_slot:
        return "wrong_slot";
    case ResultOutcome::not_dispensed:
        return "not_dispensed";
    default:
        return "rejected";
    }
}

// Counted, logged and handed to device_rejections (written after this round by
// flush_rejections). Called once per result, at the end of its handling, so a retried round
// never counts it twice.
void reject(VendingPlugin& plugin, const Result& result, const char* reason, std::string_view why) {
    std::uint64_t count = ++plugin.counters.rejected;
    plugin.refusals.add(result.device_id, reason, why, result.payload);
    // Sampled per machine and reason: a misbehaving machine must not flood the broker's log.
    if (plugin.refusal_log.due(result.device_id, reason))
        LOG_WARN("vending", "rejected dispense_result from %s on '%s': %.*s (%llu so far)",
                 result.device_id.c_str(), result.topic.c_str(), static_cast<int>(why.size()),
                 why.data(), static_cast<unsigned long long>(count));
}

// The machine's own prefix, and a vending machine at all.
bool from_a_machine(pg::Connection& db, const Result& result) {
    pg::Result device = db.exec_prepared("device", {result.device_id});
    return device.rows() == 1 && device.text(0, 0) == "vending" &&
           result.topic == std::string(device.text(0, 1)) + "/dispense_result";
}

std::optional<OrderView> locked_order(pg::Transaction& transaction, const std::string& id) {
    pg::Result order = transaction.exec_prepared("lock_order", {id});
    if (order.rows() != 1)
        return std::nullopt;
    OrderView view{std::string(order.text(0, 0)), order.integer(0, 1),
                   std::string(order.text(0, 2))};
    pg::Result log = transaction.exec_prepared("dispense_log", {id});
    if (log.rows() == 1) {
        view.has_dispense = true;
        view.has_result = log.boolean(0, 0);
        view.timed_out = log.boolean(0, 1);
    }
    return view;
}

void settle(VendingPlugin& plugin, pg::Connection& db, const Result& result) {
    std::string problem;
    std::optional<DispenseResult> parsed = parse_dispense_result(result.payload, problem);
    if (!parsed)
        return reject(plugin, result, problem == "not a JSON object" ? "not_json" : "bad_field",
                      problem);
    if (!from_a_machine(db, result))
        return reject(plugin, result, "wrong_topic", "not a vending machine's own result topic");
    pg::Transaction transaction(db);
    std::optional<OrderView> order = locked_order(transaction, parsed->order_id);
    ResultOutcome outcome = classify_result(order, result.device_id, *parsed);
    switch (outcome) {
    case ResultOutcome::duplicate:
        ++plugin.counters.duplicates;
        LOG_DEBUG("vending", "duplicate result for order %s", parsed->order_id.c_str());
        return;
    case ResultOutcome::apply:
    case ResultOutcome::late:
        break;
    default:
        return reject(plugin, result, reason_name(outcome),
                      std::string(outcome_name(outcome)) + " (order " + parsed->order_id + ")");
    }
    bool late = outcome == ResultOutcome::late;
    std::string success = parsed->success ? "true" : "false";
    transaction.exec_prepared("record_result",
                              {parsed->order_id, success, optional_flag(parsed->drop_detected),
                               optional_number(parsed->duration_ms), parsed->error, result.payload,
                               late ? "true" : "false"});
    if (!late)
        transaction.exec_prepared("settle_order", {parsed->order_id, success, parsed->error});
    // The item left the machine: count it once, whether the result came in time or not.
    if (parsed->success) {
        long long taken =
            transaction
                .exec_prepared("take_stock",
                               {order->machine_id, std::to_string(order->slot),
                                late ? "late_dispense" : "dispense", parsed->order_id})
                .affected();
        if (taken == 0)
            LOG_WARN("vending", "order %s dispensed from slot %lld of %s, whose stock is 0",
                     parsed->order_id.c_str(), order->slot, order->machine_id.c_str());
    }
    transaction.commit();
    if (late) {
        ++plugin.counters.late;
        LOG_WARN("vending", "late result for order %s (already %s): success=%s, recorded",
                 parsed->order_id.c_str(), order->status.c_str(), success.c_str());
    } else {
        ++plugin.counters.applied;
        LOG_INFO("vending", "order %s %s", parsed->order_id.c_str(),
                 parsed->success ? "COMPLETED" : "FAILED");
    }
}

void sweep(VendingPlugin& plugin, pg::Connection& db) {
    pg::Result failed = db.exec_prepared("sweep", {});
    for (int row = 0; row < failed.rows(); ++row) {
        ++plugin.counters.timeouts;
        LOG_INFO("vending", "order %s FAILED: no result before its deadline (timeout)",
                 std::string(failed.text(row, 0)).c_str());
    }
}

} // namespace

void run_result_writer(VendingPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "vending";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-vending";
    options.prepare = prepare_statements;
    DbLoop loop(std::move(options));
    auto next_sweep = std::chrono::steady_clock::now();
    std::vector<Result> batch;
    std::size_t next = 0;
    while (!stop.stop_requested()) {
        if (next == batch.size()) {
            batch = plugin.results.pop_batch(256, stop, 250ms);
            next = 0;
        }
        loop.round(stop, [&](pg::Connection& db) {
            // A result PostgreSQL refuses as data is one the machine sent wrong: counted as
            // rejected like the ones validation catches. Anything else DbLoop drops and counts.
            loop.each(
                batch, next,
                [&](const Result& result) {
                    try {
                        settle(plugin, db, result);
                    } catch (const pg::Error& error) {
                        if (error.kind() != pg::ErrorKind::reject)
                            throw;
                        reject(plugin, result, "refused_by_database", error.what());
                    }
                },
                [](const Result& result) {
                    return "dispense_result from " + result.device_id + " on '" + result.topic +
                           "'";
                });
            if (std::chrono::steady_clock::now() >= next_sweep) {
                sweep(plugin, db);
                next_sweep = std::chrono::steady_clock::now() + 250ms;
            }
        });
        if (loop.database_up())
            flush_rejections(plugin.refusals, loop, stop);
    }
}

} // namespace sarang::vending
