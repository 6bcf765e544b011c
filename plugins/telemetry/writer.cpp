// The writer worker: journal -> validation -> one transaction per batch, then the journal is
// trimmed up to the batch. In the transaction: the batch's devices (locked against deletion),
// the readings COPYed straight into readings, the rollups and latest values the writer summed,
// as arrays to sarang_land_direct() (sql/0024). When that COPY meets a reading already there,
// the batch is rolled back and lands again through staging and sarang_land_staged() (sql/0006),
// which drops what exists and derives everything from the new rows only.
//
// Ends of a batch: landed (new rows counted; rows already there, from a replay or a QoS 1
// redelivery, are dropped by the keys and counted as duplicates); rejected messages (bad payload,
// unknown device) never written, counted per device and reason in device_rejections (in the landing
// transaction) and logged sampled: one line per device and reason per minute however fast they
// come; PostgreSQL unreachable: the batch is kept and retried with backoff while new messages wait
// in the journal on disk (core's DbLoop); a data error that validation should have caught, or any
// other exception: the batch is landed again one message at a time, so only the offending message
// is dropped (counted, logged sampled) and one bad message cannot wedge the writer. At shutdown
// what is waiting gets a few seconds; what does not land stays in the journal for the next start.
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"
#include "telemetry_plugin.hpp"

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <functional>
#include <map>
#include <unistd.h>
#include <unordered_set>

namespace sarang::telemetry {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto shutdown_grace = std::chrono::seconds(3);
constexpr auto stats_interval = std::chrono::seconds(1);

// The batch's device ids, each once: a batch holds many messages of a few devices, so the ones
// seen are skipped by a hash set before anything is copied or sorted.
std::vector<std::string> device_ids(const std::vector<RawMessage>& batch) {
    std::unordered_set<std::string_view> seen;
    std::vector<std::string> ids;
    for (const RawMessage& message : batch)
        if (seen.insert(message.device_id).second)
            ids.push_back(message.device_id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

// Inside the landing transaction: FOR KEY SHARE keeps each device of the batch from being
// deleted or renamed until it commits (the direct path COPYs into readings without a join;
// devices_telemetry_follows then removes or renames the landed rows with the device).
std::map<std::string, DeviceInfo> lookup_devices(pg::Transaction& transaction,
                                                 const std::vector<RawMessage>& batch) {
    pg::Result rows = transaction.exec_prepared("lookup", {pg::array_literal(device_ids(batch))});
    std::map<std::string, DeviceInfo> devices;
    for (int row = 0; row < rows.rows(); ++row)
        devices.emplace(std::string(rows.text(row, 0)),
                        DeviceInfo{std::string(rows.text(row, 1)), std::string(rows.text(row, 2))});
    return devices;
}

// Logs a rejection at most once per device and reason per interval (LogSampler); the folded
// ones are in the next line, and in the flush() summary from run_writer's loop.
void log_rejection(TelemetryPlugin& plugin, const Rejection& rejection) {
    if (std::optional<std::uint64_t> folded =
            plugin.rejection_log.due(rejection.device_id, rejection.reason))
        LOG_WARN("telemetry",
                 "rejected message from %s on '%s': %s (%s; %llu more since the last line)",
                 rejection.device_id.c_str(), rejection.topic.c_str(), rejection.detail.c_str(),
                 rejection.reason.c_str(), static_cast<unsigned long long>(*folded));
}

constexpr std::string_view unique_violation = "23505";
// sarang_land_direct() missing: this broker runs against a database not yet migrated to 0024.
// docs/upgrading.md migrates first, but a broker started before the migration (or a test that
// migrates under load) must not drop data meanwhile.
constexpr std::string_view undefined_function = "42883";

// sarang_land_direct()'s parameters (sql/0024): the rollups' eight columns, then the latest
// values' four.
pg::Params summary_params(const StagedBatch& staged) {
    SummaryColumns c = summary_columns(staged);
    return {pg::array_literal(c.rollup_device),  pg::array_literal(c.rollup_metric),
            pg::array_literal(c.rollup_seconds), pg::array_literal(c.rollup_bucket),
            pg::array_literal(c.rollup_samples), pg::array_literal(c.rollup_total),
            pg::array_literal(c.rollup_low),     pg::array_literal(c.rollup_high),
            pg::array_literal(c.latest_device),  pg::array_literal(c.latest_metric),
            pg::array_literal(c.latest_at),      pg::array_literal(c.latest_value)};
}

// direct: the readings are COPYed into readings itself and the writer's summaries upsert the
// rollups and latest values (sql/0024); right only while every reading is new, which the COPY
// proves: one that is already there fails it with a unique violation. deduplicating: through
// the staging table and sarang_land_staged() (sql/0006), which drops the readings already there
// and derives everything from the new ones only.
enum class Path { direct, deduplicating };

struct Landed {
    long long readings = 0;
    long long events = 0;
};

// Returns nullopt when the direct path met a reading that is already there, or the database
// has no sarang_land_direct() yet: the caller rolls back and lands the batch deduplicated.
std::optional<Landed> land_rows(pg::Transaction& transaction, const StagedBatch& staged, Path path,
                                const std::function<void()>& meanwhile) {
    Landed landed;
    if (path == Path::deduplicating) {
        if (staged.reading_rows > 0)
            transaction.copy_in("COPY pg_temp.staged_readings FROM STDIN", staged.readings);
        if (staged.message_rows > 0)
            transaction.copy_in("COPY pg_temp.staged_messages FROM STDIN", staged.messages);
        pg::Result result = transaction.exec_prepared("land", {});
        landed.readings = result.integer(0, 0);
        landed.events = result.integer(0, 1);
        return landed;
    }
    if (staged.reading_rows > 0) {
        try {
            landed.readings =
                transaction.copy_in("COPY readings (device_id, metric, at, value) FROM STDIN",
                                    staged.readings, meanwhile);
        } catch (const pg::Error& error) {
            if (error.sqlstate() == unique_violation)
                return std::nullopt;
            throw;
        }
    }
    if (staged.message_rows > 0)
        transaction.copy_in("COPY pg_temp.staged_messages FROM STDIN", staged.messages);
    try {
        landed.events =
            transaction.exec_prepared("land_direct", summary_params(staged)).integer(0, 0);
    } catch (const pg::Error& error) {
        if (error.sqlstate() == undefined_function)
            return std::nullopt;
        throw;
    }
    return landed;
}

// The next batch, read from the journal and staged while PostgreSQL inserted the readings of
// the one before (copy_in's `meanwhile`), with that batch's devices: the writer's half of the
// work then overlaps PostgreSQL's instead of following it. Still right for the next batch only
// if its own look-up finds the same devices (kind and prefix) as were used here.
struct Prestaged {
    std::uint64_t first_sequence = 0;
    std::map<std::string, DeviceInfo> devices; // those of the batch's ids that were known
    StagedBatch staged;
};

std::map<std::string, DeviceInfo> devices_of(const std::vector<RawMessage>& batch,
                                             const std::map<std::string, DeviceInfo>& known) {
    std::map<std::string, DeviceInfo> out;
    for (const std::string& id : device_ids(batch))
        if (auto device = known.find(id); device != known.end())
            out.insert(*device);
    return out;
}

// Below this many waiting messages a batch is paced (Settings::batch_interval).
std::uint64_t worth_a_batch(const Settings& settings) {
    return std::max<std::uint64_t>(1, settings.batch_max / 4);
}

class ReadAhead {
  public:
    explicit ReadAhead(TelemetryPlugin& plugin) : plugin_(plugin) {}

    // During the COPY: must not throw (pg::Connection::copy_in). What was read stays in
    // plugin.next whatever happens to its staging.
    void read_and_stage(const std::map<std::string, DeviceInfo>& known) noexcept {
        // Without a backlog the next batch waits for the batch interval instead (run_writer).
        if (!plugin_.next.empty() || plugin_.journal.unread() < worth_a_batch(plugin_.settings))
            return;
        try {
            plugin_.next = plugin_.journal.read(plugin_.settings.batch_max);
            if (plugin_.next.empty())
                return;
            std::map<std::string, DeviceInfo> devices = devices_of(plugin_.next, known);
            StagedBatch staged = stage(plugin_.next, devices);
            prestaged_ =
                Prestaged{plugin_.next.front().sequence, std::move(devices), std::move(staged)};
        } catch (const std::exception& error) {
            prestaged_.reset();
            LOG_WARN("telemetry", "reading ahead failed (%s); the batch is read again",
                     error.what());
        }
    }

    // The batch staged: the one prepared ahead when it is this batch and its devices are
    // unchanged, else staged now.
    StagedBatch take(const std::vector<RawMessage>& batch,
                     const std::map<std::string, DeviceInfo>& devices) {
        std::optional<Prestaged> ahead = std::exchange(prestaged_, std::nullopt);
        if (ahead && ahead->first_sequence == batch.front().sequence && ahead->devices == devices)
            return std::move(ahead->staged);
        return stage(batch, devices);
    }

  private:
    TelemetryPlugin& plugin_;
    std::optional<Prestaged> prestaged_;
};

// One transaction: the devices, the rows, the rejections (counted here so that a batch landed
// again one message at a time counts each of them once). False when the direct path has to
// give way to the deduplicating one. With `ahead`, the next batch is read and staged during the
// COPY.
bool land_once(TelemetryPlugin& plugin, pg::Connection& db, const std::vector<RawMessage>& batch,
               Path path, ReadAhead* ahead) {
    pg::Transaction transaction(db);
    std::map<std::string, DeviceInfo> devices = lookup_devices(transaction, batch);
    StagedBatch staged = ahead != nullptr ? ahead->take(batch, devices) : stage(batch, devices);
    std::function<void()> meanwhile;
    if (ahead != nullptr)
        meanwhile = [ahead, &devices] { ahead->read_and_stage(devices); };
    Landed landed;
    if (staged.reading_rows + staged.message_rows > 0) {
        std::optional<Landed> rows = land_rows(transaction, staged, path, meanwhile);
        if (!rows)
            return false;
        landed = *rows;
    }
    if (!staged.rejected.empty())
        add_rejections(transaction, tally(staged.rejected));
    transaction.commit();
    for (const Rejection& rejection : staged.rejected)
        log_rejection(plugin, rejection);
    plugin.counters.readings_new += landed.readings;
    plugin.counters.readings_duplicate += staged.reading_rows - landed.readings;
    plugin.counters.events_new += landed.events;
    plugin.counters.messages_rejected += staged.rejected.size();
    plugin.counters.messages_landed += staged.accepted;
    ++plugin.counters.batches;
    return true;
}

void land(TelemetryPlugin& plugin, pg::Connection& db, const std::vector<RawMessage>& batch,
          ReadAhead* ahead = nullptr) {
    if (land_once(plugin, db, batch, Path::direct, ahead))
        return;
    ++plugin.counters.batches_deduplicated;
    land_once(plugin, db, batch, Path::deduplicating, nullptr);
}

void prepare(pg::Connection& db) {
    db.prepare("lookup", "SELECT id, kind, topic_prefix FROM devices WHERE id = ANY($1::text[]) "
                         "ORDER BY id FOR KEY SHARE");
    db.prepare("staging", "SELECT sarang_create_staging()");
    db.prepare("land", "SELECT new_readings, new_events FROM sarang_land_staged()");
    db.prepare("land_direct", "SELECT new_events FROM sarang_land_direct($1, $2, $3, $4, $5, $6, "
                              "$7, $8, $9, $10, $11, $12)");
    prepare_rejections(db);
}

// A batch PostgreSQL (or staging) refused: land its messages one by one; DbLoop drops, counts
// and logs only those that fail again.
void land_one_by_one(TelemetryPlugin& plugin, DbLoop& loop, std::vector<RawMessage>& batch) {
    std::size_t next = 0;
    std::uint64_t dropped_before = loop.poisoned();
    loop.each(
        batch, next, [&](const RawMessage& message) { land(plugin, loop.db(), {message}); },
        [](const RawMessage& message) {
            return "message " + std::to_string(message.sequence) + " from " + message.device_id +
                   " on '" + message.topic + "'";
        });
    plugin.counters.messages_failed += loop.poisoned() - dropped_before;
}

void write_stats(const TelemetryPlugin& plugin) {
    std::filesystem::path path = plugin.settings.journal_dir / "stats.prom";
    std::filesystem::path temporary = plugin.settings.journal_dir / "stats.prom.tmp";
    std::string text = stats_text(plugin);
    if (std::FILE* file = std::fopen(temporary.c_str(), "w")) {
        bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
        if (std::fclose(file) == 0 && written) {
            std::error_code ignored;
            std::filesystem::rename(temporary, path, ignored);
        }
    }
}

std::string journal_state(const TelemetryPlugin& plugin) {
    const Journal& journal = plugin.journal;
    char text[160];
    std::snprintf(text, sizeof text, "keeping %llu messages in the journal (%llu of %llu MiB)",
                  static_cast<unsigned long long>(journal.last_appended() - journal.last_landed()),
                  static_cast<unsigned long long>(journal.bytes() >> 20),
                  static_cast<unsigned long long>(journal.limit() >> 20));
    return text;
}

// Closes the journal's read descriptor on the writer's thread whichever way the body ends: it
// lives in the writer's own fd table (Journal::close_reader).
class ReaderCloser {
  public:
    explicit ReaderCloser(Journal& journal) : journal_(journal) {}
    ~ReaderCloser() { journal_.close_reader(); }
    ReaderCloser(const ReaderCloser&) = delete;
    ReaderCloser& operator=(const ReaderCloser&) = delete;

  private:
    Journal& journal_;
};

} // namespace

std::string stats_text(const TelemetryPlugin& plugin) {
    const Counters& c = plugin.counters;
    const Journal& journal = plugin.journal;
    std::string out;
    auto line = [&](const char* name, const char* type, unsigned long long value) {
        char text[160];
        std::snprintf(text, sizeof text,
                      "# TYPE sarang_telemetry_%s %s\nsarang_telemetry_%s %llu\n", name, type, name,
                      value);
        out += text;
    };
    line("journaled_total", "counter", c.journaled.load());
    line("refused_journal_full_total", "counter", c.refused_journal_full.load());
    line("journal_errors_total", "counter", c.journal_errors.load());
    line("oversized_total", "counter", c.oversized.load());
    line("messages_landed_total", "counter", c.messages_landed.load());
    line("readings_new_total", "counter", c.readings_new.load());
    line("readings_duplicate_total", "counter", c.readings_duplicate.load());
    line("events_new_total", "counter", c.events_new.load());
    line("messages_rejected_total", "counter", c.messages_rejected.load());
    line("messages_failed_total", "counter", c.messages_failed.load());
    line("batches_total", "counter", c.batches.load());
    line("batches_deduplicated_total", "counter", c.batches_deduplicated.load());
    line("journal_bytes", "gauge", journal.bytes());
    line("journal_limit_bytes", "gauge", journal.limit());
    line("journal_pending_messages", "gauge", journal.last_appended() - journal.last_landed());
    line("database_up", "gauge", c.database_up.load() ? 1 : 0);
    return out;
}

void run_writer(TelemetryPlugin& plugin, std::stop_token stop) {
    Journal& journal = plugin.journal;
    ReaderCloser closer(journal);
    DbLoopOptions options;
    options.component = "telemetry";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-telemetry";
    options.prepare = prepare;
    options.backoff_max = std::chrono::seconds(1);
    options.retry_while_stopping = true;
    options.outage_detail = [&plugin] { return journal_state(plugin); };
    DbLoop loop(std::move(options));
    std::vector<RawMessage>& pending = plugin.pending;
    ReadAhead read_ahead(plugin);
    std::uint64_t staging_generation = 0;
    std::optional<Clock::time_point> give_up_at;
    Clock::time_point next_sync = Clock::now() + plugin.settings.sync_interval;
    Clock::time_point next_stats = Clock::now();
    Clock::time_point last_batch_at{};
    for (;;) {
        auto now = Clock::now();
        if (stop.stop_requested() && !give_up_at)
            give_up_at = now + shutdown_grace;
        if (give_up_at && now > *give_up_at)
            break;
        if (now >= next_sync) {
            journal.sync();
            next_sync = now + plugin.settings.sync_interval;
        }
        if (now >= next_stats) {
            plugin.rejection_log.flush([](const std::string& device, const std::string& reason,
                                          std::uint64_t folded) {
                LOG_WARN("telemetry",
                         "rejected %llu more messages from %s (%s) in the last interval",
                         static_cast<unsigned long long>(folded), device.c_str(), reason.c_str());
            });
            write_stats(plugin);
            flush_rejections(plugin.broker_refusals, loop, stop);
            next_stats = now + stats_interval;
        }
        if (pending.empty() && plugin.next.empty()) {
            // A transaction per batch costs the same whatever the batch's size: at a moderate
            // rate, batches every few milliseconds doubled the broker process's CPU per
            // message (bench/brokers.sh). Until a backlog builds up, let them grow.
            std::uint64_t waiting = journal.unread();
            auto due = last_batch_at + plugin.settings.batch_interval;
            if (waiting > 0 && waiting < worth_a_batch(plugin.settings) && now < due &&
                !stop.stop_requested()) {
                sleep_unless_stopped(stop, std::chrono::duration_cast<std::chrono::milliseconds>(
                                               due - now + std::chrono::milliseconds(1)));
                continue;
            }
        }
        if (pending.empty()) {
            pending = !plugin.next.empty() ? std::exchange(plugin.next, {})
                                           : journal.read(plugin.settings.batch_max);
            if (!pending.empty())
                last_batch_at = Clock::now();
        }
        if (pending.empty()) {
            if (stop.stop_requested())
                break;
            loop.round(stop, [](pg::Connection&) {}); // the heartbeat, when due
            plugin.counters.database_up = loop.database_up();
            journal.wait_for_data(std::chrono::milliseconds(200), stop);
            continue;
        }
        // Exactly once: the journal moves past a batch only after its transaction committed
        // (or its bad messages were dropped one by one); an outage keeps the batch for the next
        // round, and a replay after a crash is deduplicated by the keys (land(): the direct
        // COPY fails on the first reading already there and the batch lands deduplicated).
        loop.round(stop, [&](pg::Connection& db) {
            db.ensure_connected();
            if (db.generation() != staging_generation) {
                db.exec_prepared("staging", {});
                staging_generation = db.generation();
            }
            try {
                land(plugin, db, pending, &read_ahead);
            } catch (const pg::Error& error) {
                if (is_outage(error))
                    throw;
                LOG_ERROR("telemetry", "batch of %zu refused (%s); landing one by one",
                          pending.size(), error.what());
                land_one_by_one(plugin, loop, pending);
            } catch (const std::exception& error) {
                LOG_ERROR("telemetry", "batch of %zu failed (%s); landing one by one",
                          pending.size(), error.what());
                land_one_by_one(plugin, loop, pending);
            }
            journal.landed(pending.back().sequence);
            pending.clear();
        });
        plugin.counters.database_up = loop.database_up();
    }
    write_stats(plugin);
    std::uint64_t waiting = journal.last_appended() - journal.last_landed();
    if (waiting > 0)
        LOG_WARN("telemetry",
                 "stopping with %llu messages in the journal; they land at the "
                 "next start",
                 static_cast<unsigned long long>(waiting));
}

} // namespace sarang::telemetry
