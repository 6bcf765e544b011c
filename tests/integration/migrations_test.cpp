// sarang migrations against a real PostgreSQL: each test works in a schema of its own (via
// search_path), with migration files it writes to a temporary folder.
#include "sarang/migrations.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Sandbox {
    std::string schema =
        "migration_test_" + std::to_string(getpid()) + "_" + std::to_string(std::rand() % 100000);
    fs::path folder = fs::temp_directory_path() / schema;
    std::string dsn;

    Sandbox() {
        std::string base = stack_env().config().string("db.dsn");
        pg::Connection admin(base, "migrations-test");
        admin.exec("CREATE SCHEMA " + schema);
        dsn = base + " options='-c search_path=" + schema + "'";
        fs::create_directories(folder);
    }
    ~Sandbox() {
        pg::Connection admin(stack_env().config().string("db.dsn"), "migrations-test");
        admin.exec("DROP SCHEMA " + schema + " CASCADE");
        fs::remove_all(folder);
    }
    void write(const std::string& name, const std::string& sql) {
        std::ofstream(folder / name) << sql;
    }
};

std::string error_of_run(pg::Connection& db, const fs::path& folder) {
    try {
        migrations::run(db, folder);
    } catch (const std::exception& error) {
        return error.what();
    }
    return "";
}

bool table_exists(pg::Connection& db, const std::string& name) {
    return db.exec("SELECT to_regclass($1) IS NOT NULL", {name}).boolean(0, 0);
}

void applies_in_order_once_and_then_only_new_files(void**) {
    Sandbox box;
    box.write("0002_b.sql", "ALTER TABLE a ADD COLUMN b int;");
    box.write("0001_a.sql", "CREATE TABLE a (id int);");
    pg::Connection db(box.dsn, "migrations-test");
    migrations::RunResult first = migrations::run(db, box.folder);
    assert_int_equal(first.applied.size(), 2);
    assert_text_equal(first.applied[0], "0001_a.sql");
    assert_text_equal(first.applied[1], "0002_b.sql");
    assert_true(migrations::run(db, box.folder).applied.empty()); // idempotent
    box.write("0003_c.sql", "CREATE TABLE c (id int);");
    migrations::RunResult third = migrations::run(db, box.folder);
    assert_int_equal(third.applied.size(), 1);
    assert_text_equal(third.applied[0], "0003_c.sql");
    assert_int_equal(db.exec("SELECT count(*) FROM schema_migrations").integer(0, 0), 3);
    assert_int_equal(
        db.exec("SELECT length(checksum) FROM schema_migrations LIMIT 1").integer(0, 0), 64);
}

void an_edited_applied_file_stops_the_run_before_anything_changes(void**) {
    Sandbox box;
    box.write("0001_a.sql", "CREATE TABLE a (id int);");
    pg::Connection db(box.dsn, "migrations-test");
    migrations::run(db, box.folder);
    box.write("0001_a.sql", "CREATE TABLE a (id bigint);");
    box.write("0002_b.sql", "CREATE TABLE b (id int);");
    std::string error = error_of_run(db, box.folder);
    assert_non_null(std::strstr(error.c_str(), "0001_a.sql was edited"));
    assert_false(table_exists(db, "b"));
}

void a_failing_migration_leaves_no_trace(void**) {
    Sandbox box;
    box.write("0001_a.sql", "CREATE TABLE a (id int);");
    box.write("0002_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();");
    pg::Connection db(box.dsn, "migrations-test");
    std::string error = error_of_run(db, box.folder);
    assert_non_null(std::strstr(error.c_str(), "no_such_function"));
    assert_true(table_exists(db, "a"));     // the good one before it stays
    assert_false(table_exists(db, "half")); // the failing one rolled back whole
    assert_int_equal(db.exec("SELECT count(*) FROM schema_migrations").integer(0, 0), 1);
    box.write("0002_broken.sql", "CREATE TABLE half (id int);"); // fixed before it ever applied
    assert_int_equal(migrations::run(db, box.folder).applied.size(), 1);
    assert_true(table_exists(db, "half"));
}

// A migration PostgreSQL picks as a deadlock's victim is run again, whole: here it holds a and
// waits for b, which another session holds while it asks for a. The migration waits first, so
// its deadlock check runs first and aborts it; once the other session commits, the second
// attempt applies the file.
void a_migration_chosen_as_deadlock_victim_runs_again(void**) {
    Sandbox box;
    box.write("0001_tables.sql", "CREATE TABLE a (id int); CREATE TABLE b (id int);");
    pg::Connection db(box.dsn, "migrations-test");
    migrations::run(db, box.folder);
    box.write("0002_both.sql", "LOCK TABLE a; LOCK TABLE b; CREATE TABLE done (id int);");
    pg::Connection other(box.dsn, "migrations-test-other");
    pg::Connection probe(box.dsn, "migrations-test-probe");
    other.exec("BEGIN");
    other.exec("LOCK TABLE b");
    std::string error = "not run";
    std::thread migrating([&] { error = error_of_run(db, box.folder); });
    auto waiting_for_b = [&] {
        return probe
                   .exec("SELECT count(*) FROM pg_locks WHERE relation = 'b'::regclass"
                         " AND NOT granted")
                   .integer(0, 0) > 0;
    };
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!waiting_for_b() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    assert_true(waiting_for_b());
    other.exec("LOCK TABLE a"); // granted once the migration's first attempt is rolled back
    other.exec("COMMIT");
    migrating.join();
    assert_text_equal(error, "");
    assert_true(table_exists(db, "done"));
    assert_int_equal(db.exec("SELECT count(*) FROM schema_migrations").integer(0, 0), 2);
}

void the_project_schema_is_applied_and_checksummed(void**) {
    // with_stack.sh migrated the stack with sarangctl; running again changes nothing.
    std::string output;
    assert_int_equal(run_sarangctl("migrate", output), 0);
    assert_non_null(std::strstr(output.c_str(), "schema is up to date"));
    pg::Connection db(stack_env().config().string("db.dsn"), "migrations-test");
    assert_int_equal(db.exec("SELECT count(*) FROM schema_migrations WHERE name = '0001_init.sql'")
                         .integer(0, 0),
                     1);
}

} // namespace

int main() {
    std::srand(static_cast<unsigned>(time(nullptr)));
    const CMUnitTest tests[] = {
        cmocka_unit_test(applies_in_order_once_and_then_only_new_files),
        cmocka_unit_test(an_edited_applied_file_stops_the_run_before_anything_changes),
        cmocka_unit_test(a_failing_migration_leaves_no_trace),
        cmocka_unit_test(a_migration_chosen_as_deadlock_victim_runs_again),
        cmocka_unit_test(the_project_schema_is_applied_and_checksummed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
