#include "sarang/pg.hpp"

#include <cstring>
#include <map>
#include <stdexcept>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::pg;

namespace {

void array_literal_quotes_and_escapes(void**) {
    assert_text_equal(array_literal({}), "{}");
    assert_text_equal(array_literal({"pi-1", "pi-2"}), R"({"pi-1","pi-2"})");
    assert_text_equal(array_literal({R"(a"b)", R"(c\d)", "e,f", "{g}"}),
                      R"({"a\"b","c\\d","e,f","{g}"})");
}

// sarangctl backup hands db.dsn to pg_dump through these, never argv (ps shows argv).
void a_dsn_becomes_libpq_environment_variables(void**) {
    auto environment = libpq_environment(
        "host=127.0.0.1 port=5433 dbname=sarang user=sarang password='s3 cret' sslmode=require");
    std::map<std::string, std::string> found(environment.begin(), environment.end());
    assert_text_equal(found.at("PGHOST"), "127.0.0.1");
    assert_text_equal(found.at("PGPORT"), "5433");
    assert_text_equal(found.at("PGDATABASE"), "sarang");
    assert_text_equal(found.at("PGUSER"), "sarang");
    assert_text_equal(found.at("PGPASSWORD"), "s3 cret");
    assert_text_equal(found.at("PGSSLMODE"), "require");
    assert_int_equal(found.size(), 6);
    found.clear();
    for (auto& [name, value] : libpq_environment("postgresql://u:pw@db.example:5432/sarang"))
        found[name] = value;
    assert_text_equal(found.at("PGPASSWORD"), "pw");
    assert_text_equal(found.at("PGHOST"), "db.example");
    // The error never repeats the string (it holds the password).
    try {
        libpq_environment("host=h password=secret-pw nonsense_key=1");
        fail_msg("an unknown key was accepted");
    } catch (const std::runtime_error& error) {
        assert_null(std::strstr(error.what(), "secret-pw"));
    }
    // keepalives has no PG* variable: refused instead of silently dropped.
    bool refused = false;
    try {
        libpq_environment("host=h keepalives=1");
    } catch (const std::runtime_error&) {
        refused = true;
    }
    assert_true(refused);
}

void sqlstates_are_classified_once(void**) {
    assert_int_equal(static_cast<int>(classify("40001")), static_cast<int>(ErrorKind::retry));
    assert_int_equal(static_cast<int>(classify("40P01")), static_cast<int>(ErrorKind::retry));
    // Passing server conditions keep the data for a later try instead of dropping it.
    for (const char* passing : {"53100", "53200", "57014", "55P03", "25006"})
        assert_int_equal(static_cast<int>(classify(passing)), static_cast<int>(ErrorKind::retry));
    assert_int_equal(static_cast<int>(classify("08006")), static_cast<int>(ErrorKind::reconnect));
    assert_int_equal(static_cast<int>(classify("57P01")), static_cast<int>(ErrorKind::reconnect));
    assert_int_equal(static_cast<int>(classify("23505")), static_cast<int>(ErrorKind::reject));
    assert_int_equal(static_cast<int>(classify("22P02")), static_cast<int>(ErrorKind::reject));
    assert_int_equal(static_cast<int>(classify("42601")), static_cast<int>(ErrorKind::bug));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(array_literal_quotes_and_escapes),
        cmocka_unit_test(sqlstates_are_classified_once),
        cmocka_unit_test(a_dsn_becomes_libpq_environment_variables),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
