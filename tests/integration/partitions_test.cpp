// The partitioned history (sql/0022, docs/operations.md "Partitions and retention") on a stack
// that starts at migration 0021 (SARANG_TEST_CONF points db.migrations_dir at a copy of
// sql/0001..0021): the move of tables that already hold rows, with devices publishing, and then
// sarang-httpd's retention worker dropping an expired partition while readings land. The cases
// run in order on the one stack; the second needs the first's migration.
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

long long scalar(const std::string& sql, const pg::Params& params = {}) {
    return db().exec(sql, params).integer(0, 0);
}

// Devices publishing QoS 1 readings numbered 0, 1, 2, ... each stamped base + number
// milliseconds (the device's own `ts`), until stopped; remembers which numbers were
// acknowledged.
class Publishers {
  public:
    Publishers(int devices, long long base_ms) : base_ms_(base_ms) {
        assert_true(devices <= 8);
        for (int i = 0; i < devices; ++i)
            devices_.push_back(connect_new_device("pi", "hydro-sensor"));
        acked_.resize(devices_.size());
        for (std::size_t i = 0; i < devices_.size(); ++i)
            threads_.emplace_back([this, i] { run(i); });
    }
    ~Publishers() { stop(); }

    void stop() {
        stopping_ = true;
        for (std::thread& thread : threads_)
            if (thread.joinable())
                thread.join();
    }
    long long acked() const {
        long long total = 0;
        for (const std::set<long long>& numbers : acked_)
            total += static_cast<long long>(numbers.size());
        return total;
    }
    // Waits (bounded) until every publisher has had at least `least` readings acknowledged.
    void wait_for_each(long long least) const {
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            bool all = true;
            for (std::size_t i = 0; i < devices_.size(); ++i)
                all = all && counts_[i].load() >= least;
            if (all)
                return;
            std::this_thread::sleep_for(20ms);
        }
        fail_msg("publishers did not get %lld PUBACKs each", least);
    }
    std::string ids_array() const {
        std::string text = "{";
        for (const ConnectedDevice& device : devices_)
            text += (text.size() > 1 ? "," : "") + device.id;
        return text + "}";
    }

  private:
    void run(std::size_t index) {
        ConnectedDevice& device = devices_[index];
        for (long long n = 0; !stopping_; ++n) {
            std::string payload = R"({"ph":7,"tds":)" + std::to_string(n % 5000) + R"(,"ts":)" +
                                  std::to_string(base_ms_ + n) + "}";
            if (accepted(device.client->publish("hydro/" + device.id + "/reading", payload))) {
                acked_[index].insert(n);
                ++counts_[index];
            }
        }
    }

    long long base_ms_;
    std::vector<ConnectedDevice> devices_;
    std::vector<std::set<long long>> acked_;
    std::atomic<long long> counts_[8]{};
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
};

// Every acknowledged reading is in readings exactly once: two metrics per message, at base +
// number; waits (bounded) for the journal to finish landing.
void expect_each_acked_reading_once(const Publishers& publishers, long long base_ms) {
    const std::string sql = "SELECT count(*) FROM readings WHERE device_id = ANY($1::text[])"
                            " AND at >= to_timestamp($2::bigint / 1000.0)";
    const pg::Params params = {publishers.ids_array(), std::to_string(base_ms)};
    long long expected = 2 * publishers.acked();
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (scalar(sql, params) < expected && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_int_equal(scalar(sql, params), expected);
    // Exactly once: no (device, metric, time) twice, which the keys forbid only within one
    // partition.
    assert_int_equal(
        scalar("SELECT count(*) FROM (SELECT DISTINCT device_id, metric, at FROM readings"
               " WHERE device_id = ANY($1::text[]) AND at >= to_timestamp($2::bigint / 1000.0)) d",
               params),
        expected);
}

bool partitioned(const std::string& table) {
    return db()
        .exec("SELECT relkind = 'p' FROM pg_class WHERE oid = $1::regclass", {table})
        .boolean(0, 0);
}

// sql/0025: reading_rollups' key INCLUDEs the aggregates, on the parent and as every
// partition's own key; the default partition (the table from before 0022) kept the index built
// beforehand.
void expect_covering_rollup_key(long long prebuilt_index) {
    assert_int_equal(scalar("SELECT count(*) FROM pg_index i JOIN pg_constraint c"
                            " ON c.conindid = i.indexrelid AND c.contype = 'p'"
                            " WHERE i.indrelid = 'reading_rollups'::regclass"
                            " AND i.indnkeyatts = 4 AND i.indnatts = 8"),
                     1);
    assert_int_equal(scalar("SELECT count(*) FROM pg_inherits h"
                            " WHERE h.inhparent = 'reading_rollups'::regclass AND NOT EXISTS ("
                            "  SELECT FROM pg_index i JOIN pg_constraint c"
                            "  ON c.conindid = i.indexrelid AND c.contype = 'p'"
                            "  AND c.conparentid <> 0"
                            "  WHERE i.indrelid = h.inhrelid AND i.indnkeyatts = 4"
                            "  AND i.indnatts = 8)"),
                     0);
    assert_int_equal(
        scalar("SELECT indexrelid::bigint FROM pg_index"
               " WHERE indrelid = 'reading_rollups_default'::regclass AND indisprimary"),
        prebuilt_index);
    // The chart's query reads the key alone (where the planner takes an index: this table is
    // small enough for a sequential scan).
    std::string plan;
    db().exec("SET enable_seqscan = off");
    pg::Result rows =
        db().exec("EXPLAIN (COSTS OFF) SELECT bucket, total / samples, low, high, samples"
                  " FROM reading_rollups_default WHERE device_id = 'x' AND metric = 'ph'"
                  " AND bucket_seconds = 60 AND bucket >= now() - interval '1 day'");
    for (int row = 0; row < rows.rows(); ++row)
        plan += std::string(rows.text(row, 0)) + "\n";
    db().exec("RESET enable_seqscan");
    assert_non_null(std::strstr(plan.c_str(), "Index Only Scan"));
}

const char* history_tables[] = {"readings", "device_events", "reading_rollups", "device_presence",
                                "audit_log"};

void existing_tables_move_to_partitions_under_load_keeping_every_row(void**) {
    db().exec("SET TimeZone = 'UTC'");     // partitions are UTC days
    assert_false(partitioned("readings")); // the stack is at 0021
    // History from before: rows in all five tables, over the last three days.
    ConnectedDevice old = connect_new_device("pi", "hydro-sensor");
    db().exec("INSERT INTO readings (device_id, metric, at, value)"
              " SELECT $1, 'ph', now() - i * interval '5 seconds', 7"
              " FROM generate_series(1, 50000) i",
              {old.id});
    db().exec("INSERT INTO device_events (device_id, subtopic, at, payload)"
              " SELECT $1, 'event', now() - i * interval '1 minute', '{}'"
              " FROM generate_series(1, 1000) i",
              {old.id});
    db().exec("INSERT INTO reading_rollups"
              " SELECT $1, 'ph', 60, date_trunc('minute', now()) - i * interval '1 minute', 1, 7,"
              " 7, 7 FROM generate_series(1, 1000) i",
              {old.id});
    db().exec("INSERT INTO device_presence (device_id, node, online, at)"
              " SELECT $1, 'n', i % 2 = 0, now() - i * interval '1 minute'"
              " FROM generate_series(1, 1000) i",
              {old.id});
    db().exec("INSERT INTO audit_log (at, action, outcome)"
              " SELECT now() - i * interval '1 hour', 'login', 'success'"
              " FROM generate_series(1, 1000) i");
    std::vector<long long> before;
    for (const char* table : history_tables)
        before.push_back(scalar(std::string("SELECT count(*) FROM ") + table));
    long long last_audit_id = scalar("SELECT max(id) FROM audit_log");
    // sql/0025's covering rollup key, built beforehand as docs/upgrading.md tells a large
    // installation to: the migration must take it over, not build another.
    db().exec("CREATE UNIQUE INDEX CONCURRENTLY reading_rollups_prebuilt ON reading_rollups"
              " (device_id, metric, bucket_seconds, bucket) INCLUDE (samples, total, low, high)");
    long long prebuilt = scalar("SELECT 'reading_rollups_prebuilt'::regclass::oid::bigint");

    long long base_ms = static_cast<long long>(std::time(nullptr)) * 1000 - 60000;
    Publishers publishers(4, base_ms);
    publishers.wait_for_each(50);
    std::string output;
    const char* root = std::getenv("SARANG_ROOT");
    assert_non_null(root);
    assert_int_equal(run_sarangctl(std::string("migrate --dir ") + root + "/sql", output), 0);
    long long acked_at_migration = publishers.acked();
    publishers.wait_for_each(acked_at_migration / 4 + 50); // and on, into the partitioned tables
    publishers.stop();

    for (const char* table : history_tables)
        assert_true(partitioned(table));
    expect_each_acked_reading_once(publishers, base_ms);
    // The old rows are all there, in the default partition, which was the old table.
    for (std::size_t i = 0; i < std::size(history_tables); ++i)
        assert_true(scalar(std::string("SELECT count(*) FROM ") + history_tables[i]) >= before[i]);
    assert_int_equal(scalar("SELECT count(*) FROM readings_default WHERE device_id = $1", {old.id}),
                     50000);
    assert_int_equal(
        scalar("SELECT count(*) FROM device_presence WHERE device_id = $1 AND node = 'n'",
               {old.id}),
        1000);
    // Numbering goes on where the old table's left off.
    db().exec("INSERT INTO audit_log (action, outcome) VALUES ('partitions_test', 'success')");
    assert_true(scalar("SELECT id FROM audit_log WHERE action = 'partitions_test'") >
                last_audit_id);
    // Partitions exist ahead, for pg_partman to manage.
    assert_true(scalar("SELECT count(*) FROM partman.part_config WHERE parent_table = ANY("
                       "'{public.readings,public.device_events,public.reading_rollups,"
                       "public.device_presence,public.audit_log}')") == 5);
    assert_true(scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings'::regclass") >=
                2);
    // A month pg_partman makes later gets the same key from the parent.
    const std::string rollup_partitions =
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'reading_rollups'::regclass";
    long long months = scalar(rollup_partitions);
    db().exec("SELECT partman.create_partition_time('public.reading_rollups',"
              " ARRAY[date_trunc('month', now() + interval '6 months', 'UTC')])");
    assert_int_equal(scalar(rollup_partitions), months + 1);
    expect_covering_rollup_key(prebuilt);
    // Rollups kept landing across the key's swap: one minute sample per acknowledged reading.
    assert_int_equal(scalar("SELECT coalesce(sum(samples), 0) FROM reading_rollups"
                            " WHERE device_id = ANY($1::text[]) AND metric = 'ph'"
                            " AND bucket_seconds = 60",
                            {publishers.ids_array()}),
                     publishers.acked());
}

// Partitions 100 and 99 days back (expired with telemetry.retention_days = 90) and one 80 days
// back (kept), made and filled in one transaction while devices publish: the worker drops the
// expired two and touches nothing else.
void the_retention_worker_drops_expired_partitions_while_readings_land(void**) {
    db().exec("SET TimeZone = 'UTC'");
    assert_true(partitioned("readings"));
    ConnectedDevice history = connect_new_device("pi", "hydro-sensor");
    long long base_ms = static_cast<long long>(std::time(nullptr)) * 1000 - 30000;
    Publishers publishers(2, base_ms);
    publishers.wait_for_each(20);
    const std::string older = "SELECT count(*) FROM readings WHERE device_id <> $1"
                              " AND at < to_timestamp($2::bigint / 1000.0)";
    const pg::Params older_params = {history.id, std::to_string(base_ms - 86400000)};
    long long other_rows = scalar(older, older_params);
    {
        pg::Transaction transaction(db());
        transaction.exec("SET LOCAL TimeZone = 'UTC'");
        transaction.exec("SELECT partman.create_partition_time('public.readings', ARRAY["
                         " date_trunc('day', now()) - interval '100 days',"
                         " date_trunc('day', now()) - interval '99 days',"
                         " date_trunc('day', now()) - interval '80 days'])");
        transaction.exec("INSERT INTO readings (device_id, metric, at, value)"
                         " SELECT $1, 'ph', date_trunc('day', now()) - d * interval '1 day'"
                         "   + i * interval '1 minute', 7"
                         " FROM unnest(ARRAY[100, 99, 80]) d, generate_series(0, 1439) i",
                         {history.id});
        transaction.commit();
    }
    auto gone = [](int days_back) {
        return scalar("SELECT count(*) FROM pg_class WHERE relname = to_char(date_trunc('day',"
                      " now() AT TIME ZONE 'UTC') - $1::int * interval '1 day',"
                      " '\"readings_p\"YYYY_MM_DD')",
                      {std::to_string(days_back)}) == 0;
    };
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!(gone(100) && gone(99)) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_true(gone(100));
    assert_true(gone(99));
    assert_false(gone(80));
    publishers.wait_for_each(publishers.acked() / 2 + 20); // landing went on after the drop
    publishers.stop();

    expect_each_acked_reading_once(publishers, base_ms);
    // The dropped range is empty, also in the default partition; the kept day and every other
    // row are untouched.
    assert_int_equal(scalar("SELECT count(*) FROM readings WHERE at >= date_trunc('day', now())"
                            " - interval '100 days' AND at < date_trunc('day', now())"
                            " - interval '98 days'"),
                     0);
    assert_int_equal(scalar("SELECT count(*) FROM readings WHERE device_id = $1", {history.id}),
                     1440);
    assert_true(other_rows > 0);
    assert_int_equal(scalar(older, older_params), other_rows);
}

long long metric_value(const std::string& series) {
    HttpResult metrics = http_request(stack_env().http_port, "GET", "/metrics");
    std::size_t at = metrics.body.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::atoll(metrics.body.c_str() + at + series.size() + 2);
}

long long landed_since(const Publishers& publishers, long long base_ms) {
    return scalar("SELECT count(*) FROM readings WHERE device_id = ANY($1::text[])"
                  " AND at >= to_timestamp($2::bigint / 1000.0)",
                  {publishers.ids_array(), std::to_string(base_ms)});
}

// docs/operations.md, "the lock_timeout rule": a long query on readings holds off the DROP of an
// expired partition, which gives up after 2 s (counted, retried next round) instead of queueing
// landing behind the query; readings keep landing; once the query ends the partition goes.
void a_drop_gives_way_to_a_long_query_and_landing_goes_on(void**) {
    db().exec("SET TimeZone = 'UTC'");
    long long base_ms = static_cast<long long>(std::time(nullptr)) * 1000 - 20000;
    Publishers publishers(2, base_ms);
    publishers.wait_for_each(20);
    long long timeouts_before = metric_value("sarang_retention_lock_timeouts_total");
    assert_true(timeouts_before >= 0);
    // Rounds are held off (the worker's advisory lock) while the expired partition is made and
    // the long query starts.
    db().exec("SELECT pg_advisory_lock(hashtext('sarang.retention'))");
    db().exec("SELECT partman.create_partition_time('public.readings', ARRAY["
              " date_trunc('day', now()) - interval '120 days'])");
    pg::Connection dashboard(stack_env().config().string("db.dsn"), "partitions-test");
    pg::Transaction long_query(dashboard);
    long_query.exec("SELECT count(*) FROM readings");
    db().exec("SELECT pg_advisory_unlock(hashtext('sarang.retention'))");

    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (metric_value("sarang_retention_lock_timeouts_total") <= timeouts_before &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_true(metric_value("sarang_retention_lock_timeouts_total") > timeouts_before);
    const std::string expired = "SELECT count(*) FROM pg_class WHERE relname = to_char("
                                "date_trunc('day', now() AT TIME ZONE 'UTC') - interval '120 days',"
                                " '\"readings_p\"YYYY_MM_DD')";
    assert_int_equal(scalar(expired), 1);
    // Landing goes on while the query holds its lock.
    long long landed = landed_since(publishers, base_ms);
    deadline = std::chrono::steady_clock::now() + 20s;
    while (landed_since(publishers, base_ms) < landed + 100 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    assert_true(landed_since(publishers, base_ms) >= landed + 100);
    long_query.commit();

    deadline = std::chrono::steady_clock::now() + 20s;
    while (scalar(expired) != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_int_equal(scalar(expired), 0);
    publishers.stop();
    expect_each_acked_reading_once(publishers, base_ms);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(existing_tables_move_to_partitions_under_load_keeping_every_row),
        cmocka_unit_test(the_retention_worker_drops_expired_partitions_while_readings_land),
        cmocka_unit_test(a_drop_gives_way_to_a_long_query_and_landing_goes_on),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
