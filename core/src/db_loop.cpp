#include "sarang/db_loop.hpp"

#include "sarang/json.hpp"
#include "sarang/log.hpp"

#include <thread>

namespace sarang {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto outage_repeat = std::chrono::minutes(1);
constexpr const char* heartbeat_statement = "sarang_worker_heartbeat";
constexpr std::size_t max_error_bytes = 1000;

std::string micros_since_epoch(std::chrono::system_clock::time_point when) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count());
}

} // namespace

bool is_outage(const pg::Error& error) {
    return error.kind() == pg::ErrorKind::reconnect || error.kind() == pg::ErrorKind::retry;
}

DbLoop::DbLoop(DbLoopOptions options)
    : options_(std::move(options)), db_(options_.dsn, options_.application_name),
      backoff_(options_.backoff_initial, options_.backoff_max) {
    if (options_.prepare)
        options_.prepare(db_);
    db_.prepare(heartbeat_statement,
                "INSERT INTO worker_status (node, plugin, worker, restarts, poisoned,"
                "   last_error, last_restart_at, started_at, heartbeat_at)"
                " VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6,"
                "   to_timestamp($7::bigint / 1000000.0), to_timestamp($8::bigint / 1000000.0),"
                "   now())"
                " ON CONFLICT (node, plugin, worker) DO UPDATE SET restarts = excluded.restarts,"
                "   poisoned = excluded.poisoned, last_error = excluded.last_error,"
                "   last_restart_at = excluded.last_restart_at,"
                "   started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at");
}

void DbLoop::heartbeat() {
    const WorkerStatus* status = current_worker_status();
    if (status == nullptr || status->plugin.empty() || Clock::now() < next_heartbeat_)
        return;
    std::optional<std::chrono::system_clock::time_point> restarted = status->last_restart_at();
    // An exception's text may quote device bytes: PostgreSQL refuses text that is not UTF-8.
    std::string error = json::valid_utf8(status->last_error().substr(0, max_error_bytes));
    next_heartbeat_ = Clock::now() + heartbeat_interval;
    try {
        db_.exec_prepared(heartbeat_statement,
                          {worker_node(), status->plugin, status->worker,
                           std::to_string(status->restarts.load()),
                           std::to_string(status->poisoned.load()),
                           error.empty() ? std::nullopt : std::optional(error),
                           restarted ? std::optional(micros_since_epoch(*restarted)) : std::nullopt,
                           micros_since_epoch(status->started_at)});
    } catch (const pg::Error& failure) {
        // The work matters more than its report: only an outage stops the round.
        if (is_outage(failure))
            throw;
        if (!heartbeat_failure_logged_)
            LOG_ERROR(options_.component, "worker_status not written: %s", failure.what());
        heartbeat_failure_logged_ = true;
    }
}

DbLoop::RoundEnd DbLoop::round(std::stop_token stop,
                               const std::function<void(pg::Connection&)>& body) {
    try {
        heartbeat();
        body(db_);
        // An outage drops the connection: only a round that connected again ends it (not one
        // with nothing to write, nor one whose body answered its items through
        // outage_noticed()).
        if (db_.connected()) {
            if (outage_logged_)
                LOG_INFO(options_.component, "PostgreSQL reachable again for %s",
                         options_.application_name.c_str());
            up_ = true;
            outage_logged_ = false;
            backoff_.reset();
        }
        return RoundEnd::done;
    } catch (const pg::Error& error) {
        if (is_outage(error)) {
            log_outage(error.what());
            db_.disconnect();
            pause(stop);
            return RoundEnd::outage;
        }
        drop("a round", error.what());
    } catch (const std::exception& error) {
        drop("a round", error.what());
    } catch (...) {
        drop("a round", "unknown exception");
    }
    // A round that failed on something other than an outage (a statement bug, an exception
    // outside each()): the connection may be mid-transaction or mid-COPY; start clean, and do
    // not spin if it keeps failing.
    db_.disconnect();
    pause(stop);
    return RoundEnd::dropped;
}

void DbLoop::outage_noticed(const pg::Error& error) {
    log_outage(error.what());
    db_.disconnect();
}

void DbLoop::log_outage(const char* why) {
    up_ = false;
    auto now = Clock::now();
    if (!outage_logged_ || now - outage_logged_at_ >= outage_repeat) {
        std::string detail = options_.outage_detail ? options_.outage_detail() : std::string();
        LOG_ERROR(options_.component, "PostgreSQL unavailable for %s, will retry%s%s: %s",
                  options_.application_name.c_str(), detail.empty() ? "" : "; ", detail.c_str(),
                  why);
        outage_logged_ = true;
        outage_logged_at_ = now;
    }
}

void DbLoop::pause(std::stop_token stop) {
    std::chrono::milliseconds delay = backoff_.next();
    if (options_.retry_while_stopping)
        std::this_thread::sleep_for(
            std::min<std::chrono::milliseconds>(delay, std::chrono::seconds(1)));
    else
        sleep_unless_stopped(stop, delay);
}

void DbLoop::drop(const std::string& item, const char* why) {
    std::uint64_t count = ++poisoned_;
    if (WorkerStatus* status = current_worker_status())
        ++status->poisoned;
    if (count <= 100 || count % 1000 == 0)
        LOG_ERROR(options_.component, "%s: dropped %s: %s (%llu dropped so far)",
                  options_.application_name.c_str(), item.c_str(), why,
                  static_cast<unsigned long long>(count));
}

} // namespace sarang
