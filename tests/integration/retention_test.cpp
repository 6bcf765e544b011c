// Retention with the real stack (issue #20 item 1, docs/operations.md "Retention"): the row
// deletes of sql/0023 (settled notifications with their deliveries, settled commands) run by
// `sarangctl retention run` in batches and by sarang-httpd's retention worker, and what
// `sarangctl retention status` reports before and after. Rows are made old by writing their
// times directly: waiting 90 days is not a test.
//
// The sidecar's worker runs every second here (retention.interval_seconds = 1) with sarang.conf's
// 90 days; this program's sarangctl keeps notifications and commands 30 days (the environment
// overrides sarang.conf). Rows 30-90 days old are therefore sarangctl's alone to delete, and
// rows older than 90 days show that the worker deletes too.
#include "api_session.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;

namespace {

long long count_of(const std::string& sql, const pg::Params& params = {}) {
    return db().exec(sql, params).integer(0, 0);
}

// Polls `sql` (one count; $1 = param) until it is 0; fails after 20 s.
void wait_until_none(const std::string& sql, const std::string& param) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    long long seen = count_of(sql, {param});
    while (seen != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        seen = count_of(sql, {param});
    }
    if (seen != 0)
        fail_msg("%s for %s: still %lld after 20 s", sql.c_str(), param.c_str(), seen);
}

// `retention status --json`, parsed.
json::Ptr retention_status_json() {
    std::string output;
    assert_int_equal(run_sarangctl("retention status --json", output), 0);
    std::string error;
    json::Ptr status = json::parse(output, error);
    if (!status)
        fail_msg("retention status --json printed no JSON (%s): %s", error.c_str(), output.c_str());
    return status;
}

// The object of `retention status --json` for one row-deleted kind.
json::Ptr status_of_kind(const std::string& kind) {
    json::Ptr status = retention_status_json();
    json_t* kinds = json_object_get(status.get(), "row_deleted");
    for (std::size_t i = 0; i < json_array_size(kinds); ++i) {
        json_t* entry = json_array_get(kinds, i);
        if (kind == json_string_value(json_object_get(entry, "kind")))
            return json::own(json_incref(entry));
    }
    fail_msg("no kind %s in: %s", kind.c_str(), json::dump(status.get()).c_str());
    return nullptr;
}

long long field(const json::Ptr& object, const char* key) {
    json_t* value = json_object_get(object.get(), key);
    if (!json_is_integer(value))
        fail_msg("%s is not an integer", key);
    return json_integer_value(value);
}

std::string user_id_of(const AppAccount& account) {
    return std::string(
        db().exec("SELECT id FROM users WHERE username = $1", {account.username}).text(0, 0));
}

// A notification `age_days` old with one delivery per state given ("" : none). Deliveries the
// worker must not touch meanwhile: pending ones are due only in the far future, sending ones
// are claimed for as long.
std::string old_notification(const std::string& user_id, const std::string& marker, int age_days,
                             const std::string& delivery_state) {
    std::string id(db().exec("INSERT INTO notifications (user_id, kind, data, created_at)"
                             " VALUES ($1, 'test', jsonb_build_object('marker', $2::text),"
                             " now() - $3::integer * interval '1 day') RETURNING id",
                             {user_id, marker, std::to_string(age_days)})
                       .text(0, 0));
    if (!delivery_state.empty())
        db().exec("INSERT INTO notification_deliveries"
                  " (notification_id, channel, target, state, next_attempt_at, claimed_until)"
                  " VALUES ($1, 'webhook', '0', $2, 'infinity',"
                  " CASE WHEN $2 = 'sending' THEN 'infinity'::timestamptz END)",
                  {id, delivery_state});
    return id;
}

void settled_notifications_go_with_their_deliveries(void**) {
    AppAccount owner = create_account(unique_id("ret-notify"));
    std::string user = user_id_of(owner);
    std::string marker = unique_id("marker");
    std::string sent = old_notification(user, marker, 50, "sent");
    std::string failed = old_notification(user, marker, 50, "failed");
    std::string bare = old_notification(user, marker, 50, "");
    std::string pending = old_notification(user, marker, 50, "pending");
    std::string sending = old_notification(user, marker, 50, "sending");
    std::string recent = old_notification(user, marker, 10, "sent");
    // More than one batch (5,000 rows per transaction) of old settled ones.
    db().exec("INSERT INTO notifications (user_id, kind, data, created_at)"
              " SELECT $1, 'test', jsonb_build_object('marker', $2::text),"
              " now() - interval '45 days' FROM generate_series(1, 6000)",
              {user, marker});

    json::Ptr before = status_of_kind("notifications");
    assert_int_equal(field(before, "retention_days"), 30);
    assert_int_equal(field(before, "due_rows"), 6003);
    assert_int_equal(field(before, "held_rows"), 2); // pending and sending
    assert_true(field(before, "oldest_due_age_seconds") >= 50 * 86400);

    std::string output;
    assert_int_equal(run_sarangctl("retention run", output), 0);
    assert_non_null(std::strstr(output.c_str(), "notifications: 6003 past retention\n"));
    const std::string mine = "SELECT count(*) FROM notifications WHERE data->>'marker' = $1";
    assert_int_equal(count_of(mine, {marker}), 3);
    for (const std::string& kept : {pending, sending, recent})
        assert_int_equal(count_of("SELECT count(*) FROM notifications WHERE id = $1", {kept}), 1);
    for (const std::string& gone : {sent, failed})
        assert_int_equal(count_of("SELECT count(*) FROM notification_deliveries"
                                  " WHERE notification_id = $1",
                                  {gone}),
                         0);
    assert_int_equal(count_of("SELECT count(*) FROM notification_deliveries d JOIN notifications n"
                              " ON n.id = d.notification_id WHERE n.data->>'marker' = $1",
                              {marker}),
                     3);

    json::Ptr after = status_of_kind("notifications");
    assert_int_equal(field(after, "due_rows"), 0);
    assert_int_equal(field(after, "held_rows"), 2);
    // The recent one becomes due 20 days from now.
    assert_true(json_is_string(json_object_get(after.get(), "next_due_at")));
    // Nothing is due now: a second run deletes nothing.
    assert_int_equal(run_sarangctl("retention run", output), 0);
    assert_non_null(std::strstr(output.c_str(), "notifications: 0 past retention\n"));
    db().exec("DELETE FROM notifications WHERE data->>'marker' = $1", {marker});
}

// A command settled `age_days` ago in `state` (open ones: created then, still open).
std::string old_command(const std::string& device, const std::string& state, int age_days) {
    bool settled = state == "acked" || state == "failed" || state == "expired";
    return std::string(
        db().exec("INSERT INTO commands (device_id, subtopic, payload, state, created_at,"
                  " expires_at, finished_at)"
                  " VALUES ($1, 'cmd', '{}', $2, now() - ($3::integer + 1) * interval '1 day',"
                  " CASE WHEN $4 THEN now() - $3::integer * interval '1 day'"
                  " ELSE now() + interval '1 day' END,"
                  " CASE WHEN $4 THEN now() - $3::integer * interval '1 day' END) RETURNING id",
                  {device, state, std::to_string(age_days), settled ? "true" : "false"})
            .text(0, 0));
}

void settled_commands_go_and_dispenses_keep_their_log(void**) {
    std::string device = unique_id("ret-cmd");
    create_device(device, "vending");
    std::string acked = old_command(device, "acked", 45);
    std::string failed = old_command(device, "failed", 45);
    std::string expired = old_command(device, "expired", 45);
    std::string recent = old_command(device, "acked", 10);
    // Still open after 100 days (say, a far deadline): never deleted, however old.
    std::string open = old_command(device, "sent", 100);
    db().exec("INSERT INTO slots (machine_id, slot_number, price, capacity) VALUES ($1, 1, 5000,"
              " 10)",
              {device});
    std::string order = unique_id("ORD");
    db().exec("INSERT INTO orders (id, machine_id, slot_number, amount, status)"
              " VALUES ($1, $2, 1, 5000, 'COMPLETED')",
              {order, device});
    db().exec("INSERT INTO dispense_logs (order_id, machine_id, slot_number, command_id,"
              " timeout_ms) VALUES ($1, $2, 1, $3, 2000)",
              {order, device, acked});

    json::Ptr before = status_of_kind("commands");
    assert_int_equal(field(before, "retention_days"), 30);
    assert_int_equal(field(before, "due_rows"), 3);
    assert_int_equal(field(before, "held_rows"), 1);

    std::string output;
    assert_int_equal(run_sarangctl("retention run", output), 0);
    assert_non_null(std::strstr(output.c_str(), "commands: 3 past retention\n"));
    const std::string exists = "SELECT count(*) FROM commands WHERE id = $1";
    for (const std::string& gone : {acked, failed, expired})
        assert_int_equal(count_of(exists, {gone}), 0);
    for (const std::string& kept : {recent, open})
        assert_int_equal(count_of(exists, {kept}), 1);
    // The dispense's log stays; only its link to the deleted command is cleared.
    assert_int_equal(count_of("SELECT count(*) FROM dispense_logs WHERE order_id = $1"
                              " AND command_id IS NULL",
                              {order}),
                     1);
    assert_int_equal(field(status_of_kind("commands"), "due_rows"), 0);
}

std::string text_at(json_t* object, const char* key) {
    json_t* value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

// readings as sql/0022 partitions it: its daily partitions with their ranges, the rows of the
// partition that holds today (estimated: after ANALYZE, exact), sizes that add up, and the
// oldest ranged partition as the next to go, 90 days after its end.
void status_shows_the_partitions_of_readings_and_what_goes_next(void**) {
    std::string device = unique_id("ret-read");
    create_device(device, "hydro-sensor");
    db().exec("INSERT INTO readings (device_id, metric, at, value)"
              " SELECT $1, 'm' || g, now(), g FROM generate_series(1, 3) g",
              {device});
    db().exec("ANALYZE readings");
    std::string today(
        db().exec("SELECT tableoid::regclass::text FROM readings WHERE device_id = $1 LIMIT 1",
                  {device})
            .text(0, 0));

    json::Ptr status = retention_status_json();
    json_t* tables = json_object_get(status.get(), "partitioned");
    json_t* readings = nullptr;
    for (std::size_t i = 0; i < json_array_size(tables); ++i) {
        if (text_at(json_array_get(tables, i), "table") == "public.readings")
            readings = json_array_get(tables, i);
    }
    if (!readings)
        fail_msg("public.readings is not among the partitioned tables: %s",
                 json::dump(status.get()).c_str());
    assert_text_equal(text_at(readings, "control"), "at");
    assert_text_equal(text_at(readings, "partition_interval"), "1 day");
    assert_text_equal(text_at(readings, "setting"), "telemetry.retention_days");
    assert_text_equal(text_at(readings, "partman_retention"), "90 days");
    assert_int_equal(json_integer_value(json_object_get(readings, "retention_days")), 90);

    json_t* partitions = json_object_get(readings, "partitions");
    assert_true(json_array_size(partitions) >= 5); // 4 days back, today, 4 ahead, the default
    long long bytes = 0;
    std::string oldest, oldest_end;
    bool found_today = false;
    for (std::size_t i = 0; i < json_array_size(partitions); ++i) {
        json_t* partition = json_array_get(partitions, i);
        bytes += json_integer_value(json_object_get(partition, "bytes"));
        std::string name = text_at(partition, "name"), end = text_at(partition, "to");
        if (name == today) {
            found_today = true;
            assert_int_equal(json_integer_value(json_object_get(partition, "rows_estimate")), 3);
            // A day long, and holding now.
            assert_true(db().exec("SELECT $1::timestamptz <= now() AND now() < $2::timestamptz"
                                  " AND $2::timestamptz - $1::timestamptz = interval '1 day'",
                                  {text_at(partition, "from"), end})
                            .boolean(0, 0));
        }
        if (!end.empty() && (oldest_end.empty() || end < oldest_end)) {
            oldest = name;
            oldest_end = end;
        }
    }
    assert_true(found_today);
    assert_int_equal(json_integer_value(json_object_get(readings, "total_bytes")), bytes);
    json_t* next = json_object_get(readings, "next_drop");
    assert_text_equal(text_at(next, "partition"), oldest);
    std::string expected_drop(db().exec("SELECT to_char(($1::timestamptz + interval '90 days')"
                                        " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                                        {oldest_end})
                                  .text(0, 0));
    assert_text_equal(text_at(next, "dropped_after"), expected_drop);
    assert_false(json_is_true(json_object_get(next, "due")));

    std::string output;
    assert_int_equal(run_sarangctl("retention status", output), 0);
    std::string line = "  next to go: " + oldest + ", dropped after " + expected_drop + "\n";
    for (const std::string& expected :
         {std::string("public.readings  (by at, 1 day partitions)\n"), line}) {
        if (!std::strstr(output.c_str(), expected.c_str()))
            fail_msg("'%s' not in:\n%s", expected.c_str(), output.c_str());
    }
}

// sarang-httpd's worker runs the same jobs each round (its own 90 days).
void the_sidecar_deletes_what_is_past_its_retention(void**) {
    AppAccount owner = create_account(unique_id("ret-worker"));
    std::string settled = old_notification(user_id_of(owner), unique_id("marker"), 100, "sent");
    std::string device = unique_id("ret-worker");
    create_device(device, "vending");
    std::string acked = old_command(device, "acked", 95);
    wait_until_none("SELECT count(*) FROM notifications WHERE id = $1", settled);
    wait_until_none("SELECT count(*) FROM notification_deliveries WHERE notification_id = $1",
                    settled);
    wait_until_none("SELECT count(*) FROM commands WHERE id = $1::uuid", acked);
}

void status_text_names_every_kind_and_setting(void**) {
    std::string output;
    assert_int_equal(run_sarangctl("retention status", output), 0);
    for (const char* expected :
         {"notifications  (row deletes, 30 days, notifications.retention_days)\n",
          "commands  (row deletes, 30 days, commands.retention_days)\n",
          "package_photos  (row deletes, 365 days, parcel.photo_retention_days)\n"}) {
        if (!std::strstr(output.c_str(), expected))
            fail_msg("'%s' not in:\n%s", expected, output.c_str());
    }
}

} // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settled_notifications_go_with_their_deliveries),
        cmocka_unit_test(settled_commands_go_and_dispenses_keep_their_log),
        cmocka_unit_test(status_shows_the_partitions_of_readings_and_what_goes_next),
        cmocka_unit_test(the_sidecar_deletes_what_is_past_its_retention),
        cmocka_unit_test(status_text_names_every_kind_and_setting),
    };
    // This program's sarangctl (not the sidecar) keeps notifications and commands 30 days.
    setenv("SARANG_NOTIFICATIONS_RETENTION_DAYS", "30", 1);
    setenv("SARANG_COMMANDS_RETENTION_DAYS", "30", 1);
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
