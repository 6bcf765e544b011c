#pragma once
// The one loop every plugin's database worker runs (docs/reliability.md, "Database workers").
//
//   DbLoopOptions options;
//   options.component = "commands"; options.dsn = ...; options.prepare = prepare_statements;
//   DbLoop loop(std::move(options));
//   while (!stop.stop_requested()) {
//       if (next == batch.size()) { batch = queue.pop_batch(...); next = 0; }
//       loop.round(stop, [&](pg::Connection& db) {
//           loop.each(batch, next, [&](const Item& item) { settle(db, item); }, describe);
//       });
//   }
//
// What it owns so the workers do not repeat it:
// - the connection and its prepared statements and LISTENs (pg::Connection re-prepares and
//   re-listens after every reconnect);
// - outages (pg::Error reconnect or retry): logged once when they begin, again at most once a
//   minute while they last, once when they end; the connection is dropped and the round is
//   retried after a jittered backoff. The item in hand is kept: each() leaves `next` at it;
// - poisoned items: any other exception from one item (a constraint the data broke, a jansson
//   failure, a std::bad_alloc from a huge payload, a logic error) is counted, logged for the
//   first hundred and every thousandth after, and the item is skipped, so one bad item never
//   stops the rest of its batch nor the worker;
// - the heartbeat: when due (every heartbeat_interval) a round first upserts this worker's row
//   in worker_status (node, plugin, worker, restarts, poisoned, last error), which the sidecar
//   serves on /metrics and /healthz. Only for workers started by a supervising Worker.
#include "sarang/pg.hpp"
#include "sarang/worker.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace sarang {

struct DbLoopOptions {
    const char* component = "worker"; // log component
    std::string dsn;
    std::string application_name;
    // Statements and LISTENs, remembered by the connection (never connects by itself).
    std::function<void(pg::Connection&)> prepare;
    std::chrono::milliseconds backoff_initial{200};
    std::chrono::milliseconds backoff_max{5000};
    // Workers with a shutdown grace (telemetry, presence) keep retrying after a stop request;
    // their outage pauses are then plain sleeps of at most a second.
    bool retry_while_stopping = false;
    // Extra words for the outage log line (the telemetry journal's size, ...).
    std::function<std::string()> outage_detail;
};

// A pg::Error that says "try again later" rather than "this item is bad".
bool is_outage(const pg::Error& error);

class DbLoop {
  public:
    static constexpr std::chrono::seconds heartbeat_interval{5};

    explicit DbLoop(DbLoopOptions options);
    DbLoop(const DbLoop&) = delete;
    DbLoop& operator=(const DbLoop&) = delete;

    pg::Connection& db() { return db_; }
    // The last round that used the database succeeded (false before the first one).
    bool database_up() const { return up_; }
    std::uint64_t poisoned() const { return poisoned_; }

    enum class RoundEnd { done, outage, dropped };

    // One round: the heartbeat when due, then body(db). done: the body completed. outage:
    // logged (not flooded), connection dropped, backoff slept; the caller keeps its work for the
    // next round. dropped: any other exception, counted and logged (sampled) as a poisoned
    // round, connection dropped (it may be mid-transaction), backoff slept.
    RoundEnd round(std::stop_token stop, const std::function<void(pg::Connection&)>& body);

    // For workers that answer an item at once rather than retry it in an outage (a door lock
    // waiting for its verdict, a device waiting for its credential): logs the outage as round()
    // does and drops the connection, without pausing. The next item reconnects.
    void outage_noticed(const pg::Error& error);

    // Handles items[next..]: an outage propagates with `next` at the item that met it (the
    // caller's next round retries it); any other exception from one item is counted and logged
    // (sampled) with describe(item), and that item is skipped.
    template <typename T, typename Handle, typename Describe>
    void each(std::vector<T>& items, std::size_t& next, Handle&& handle, Describe&& describe) {
        for (; next < items.size(); ++next) {
            try {
                handle(items[next]);
            } catch (const pg::Error& error) {
                if (is_outage(error))
                    throw;
                drop(describe(items[next]), error.what());
            } catch (const std::exception& error) {
                drop(describe(items[next]), error.what());
            } catch (...) {
                drop(describe(items[next]), "unknown exception");
            }
        }
    }

    // Counts and logs (sampled) one item that could not be handled and is dropped.
    void drop(const std::string& item, const char* why);

  private:
    void heartbeat();
    void log_outage(const char* why);
    void pause(std::stop_token stop);

    DbLoopOptions options_;
    pg::Connection db_;
    Backoff backoff_;
    bool up_ = false; // connected and the last round done

    bool outage_logged_ = false;
    std::chrono::steady_clock::time_point outage_logged_at_{};
    std::chrono::steady_clock::time_point next_heartbeat_{}; // due at once: a restart shows
    std::uint64_t poisoned_ = 0;
    bool heartbeat_failure_logged_ = false;
};

} // namespace sarang
