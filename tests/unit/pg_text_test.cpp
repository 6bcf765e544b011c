#include "sarang/pg.hpp"

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
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
