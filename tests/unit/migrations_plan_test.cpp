#include "sarang/migrations.hpp"

#include <cstring>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::migrations;

namespace {

File file(int version, const char* name, const char* checksum) {
    return File{version, name, checksum, "-- sql"};
}

void version_comes_from_the_file_name(void**) {
    assert_int_equal(*version_of("0001_init.sql"), 1);
    assert_int_equal(*version_of("0042_add_orders.sql"), 42);
    for (const char* bad : {"init.sql", "0001.sql", "0001_init.txt", "_init.sql", "0001_.sql",
                            "x0001_init.sql", "1234567_too_long.sql"})
        assert_false(version_of(bad).has_value());
}

void fresh_database_gets_everything_in_order(void**) {
    Plan plan_ = plan({file(2, "0002_b.sql", "b"), file(1, "0001_a.sql", "a")}, {});
    assert_true(plan_.error.empty());
    assert_int_equal(plan_.pending.size(), 2);
    assert_int_equal(plan_.pending[0].version, 1);
    assert_int_equal(plan_.pending[1].version, 2);
}

void applied_files_are_skipped(void**) {
    Plan plan_ =
        plan({file(1, "0001_a.sql", "a"), file(2, "0002_b.sql", "b")}, {{1, "0001_a.sql", "a"}});
    assert_true(plan_.error.empty());
    assert_int_equal(plan_.pending.size(), 1);
    assert_int_equal(plan_.pending[0].version, 2);
    Plan nothing = plan({file(1, "0001_a.sql", "a")}, {{1, "0001_a.sql", "a"}});
    assert_true(nothing.error.empty());
    assert_true(nothing.pending.empty());
}

void edited_applied_file_is_refused(void**) {
    Plan plan_ = plan({file(1, "0001_a.sql", "changed"), file(2, "0002_b.sql", "b")},
                      {{1, "0001_a.sql", "a"}});
    assert_non_null(std::strstr(plan_.error.c_str(), "0001_a.sql was edited"));
    assert_true(plan_.pending.empty());
}

void missing_applied_file_is_refused(void**) {
    Plan plan_ = plan({file(2, "0002_b.sql", "b")}, {{1, "0001_a.sql", "a"}});
    assert_non_null(std::strstr(plan_.error.c_str(), "missing from the folder"));
}

// A rollback: the newer release's migrations are past every file of this one.
void applied_past_every_file_is_a_newer_release(void**) {
    Plan plan_ =
        plan({file(1, "0001_a.sql", "a"), file(2, "0002_b.sql", "b")}, {{1, "0001_a.sql", "a"},
                                                                        {2, "0002_b.sql", "b"},
                                                                        {3, "0003_c.sql", "c"},
                                                                        {4, "0004_d.sql", "d"}});
    assert_true(plan_.error.empty());
    assert_true(plan_.pending.empty());
    assert_int_equal(plan_.newer.size(), 2);
    assert_string_equal(plan_.newer.back().c_str(), "0004_d.sql");
    // ... but not with a file of its own missing in between, nor from an empty folder.
    Plan gap = plan({file(1, "0001_a.sql", "a"), file(3, "0003_c.sql", "c")},
                    {{1, "0001_a.sql", "a"}, {2, "0002_b.sql", "b"}, {3, "0003_c.sql", "c"}});
    assert_non_null(std::strstr(gap.error.c_str(), "0002_b.sql is applied"));
    Plan empty = plan({}, {{1, "0001_a.sql", "a"}});
    assert_non_null(std::strstr(empty.error.c_str(), "missing from the folder"));
}

void duplicate_versions_are_refused(void**) {
    Plan plan_ = plan({file(1, "0001_a.sql", "a"), file(1, "0001_b.sql", "b")}, {});
    assert_non_null(std::strstr(plan_.error.c_str(), "share version 1"));
}

void file_older_than_newest_applied_is_refused(void**) {
    Plan plan_ = plan(
        {file(1, "0001_a.sql", "a"), file(2, "0002_late.sql", "x"), file(3, "0003_c.sql", "c")},
        {{1, "0001_a.sql", "a"}, {3, "0003_c.sql", "c"}});
    assert_non_null(std::strstr(plan_.error.c_str(), "0002_late.sql is older"));
    assert_true(plan_.pending.empty());
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(version_comes_from_the_file_name),
        cmocka_unit_test(fresh_database_gets_everything_in_order),
        cmocka_unit_test(applied_files_are_skipped),
        cmocka_unit_test(edited_applied_file_is_refused),
        cmocka_unit_test(missing_applied_file_is_refused),
        cmocka_unit_test(applied_past_every_file_is_a_newer_release),
        cmocka_unit_test(duplicate_versions_are_refused),
        cmocka_unit_test(file_older_than_newest_applied_is_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
