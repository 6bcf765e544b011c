// Device bytes into JSON (issue #21 item 2): invalid UTF-8 is repaired, never an error.
#include "sarang/json.hpp"

#include <new>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;

namespace {

const std::string replacement = "\xEF\xBF\xBD"; // U+FFFD

void valid_text_is_unchanged(void**) {
    for (const char* text : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x94\x92 lock"})
        assert_text_equal(json::valid_utf8(text), text);
}

void each_invalid_byte_becomes_one_replacement(void**) {
    // The reproduction's payload: four bytes that are no UTF-8 at all.
    assert_text_equal(json::valid_utf8("\xFF\xFE\xC0\x80"),
                      replacement + replacement + replacement + replacement);
    // A truncated sequence at the end, a surrogate, an overlong, a code point past U+10FFFF.
    assert_text_equal(json::valid_utf8("ok\xE2\x82"), "ok" + replacement + replacement);
    assert_text_equal(json::valid_utf8("\xED\xA0\x80"), replacement + replacement + replacement);
    assert_text_equal(json::valid_utf8("\xE0\x80\xAF"), replacement + replacement + replacement);
    assert_text_equal(json::valid_utf8("\xF4\x90\x80\x80"),
                      replacement + replacement + replacement + replacement);
    assert_text_equal(json::valid_utf8(std::string_view("a\0b", 3)), std::string("a\0b", 3));
}

void string_of_invalid_bytes_dumps(void**) {
    json::Ptr value = json::string("\xFF\xFE\xFD\xFC");
    assert_text_equal(json::dump(value.get()),
                      "\"" + replacement + replacement + replacement + replacement + "\"");
}

// What the answer writer did before the fix: a *_nocheck string of device bytes. dump() used
// to throw std::bad_alloc here; now it repairs strings and keys at any depth.
void dump_repairs_unchecked_strings_and_keys(void**) {
    json::Ptr object = json::own(json_object());
    json::Ptr inner = json::own(json_array());
    json::append(inner.get(), json::own(json_stringn_nocheck("\xC3(", 2)));
    json::append(inner.get(), json::own(json_integer(7)));
    json::set(object.get(), "list", std::move(inner));
    assert_int_equal(json_object_set_new_nocheck(object.get(), "k\xFF", json_true()), 0);
    std::string text;
    try {
        text = json::dump(object.get());
    } catch (const std::bad_alloc&) {
        fail_msg("dump threw std::bad_alloc for invalid UTF-8");
    }
    std::string error;
    json::Ptr back = json::parse(text, error);
    assert_non_null(back.get());
    json_t* list = json_object_get(back.get(), "list");
    assert_text_equal(json_string_value(json_array_get(list, 0)), replacement + "(");
    assert_int_equal(json_integer_value(json_array_get(list, 1)), 7);
    assert_true(json_is_true(json_object_get(back.get(), ("k" + replacement).c_str())));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(valid_text_is_unchanged),
        cmocka_unit_test(each_invalid_byte_becomes_one_replacement),
        cmocka_unit_test(string_of_invalid_bytes_dumps),
        cmocka_unit_test(dump_repairs_unchecked_strings_and_keys),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
