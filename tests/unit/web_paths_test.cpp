#include "web/web_paths.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::http::web;

namespace {

void the_root_is_index_html_and_segments_are_split(void**) {
    auto root = file_segments("/");
    assert_true(root.has_value());
    assert_int_equal(root->size(), 1);
    assert_text_equal(root->front(), "index.html");
    auto nested = file_segments("/assets/app-ABCD1234.js");
    assert_true(nested.has_value());
    assert_int_equal(nested->size(), 2);
    assert_text_equal((*nested)[0], "assets");
    assert_text_equal((*nested)[1], "app-ABCD1234.js");
}

void traversal_hidden_and_odd_paths_name_no_file(void**) {
    for (const char* path :
         {"", "index.html", "/..", "/../etc/passwd", "/a/../b.js", "/./a.js", "/.env",
          "/assets/.hidden.js", "//etc/passwd", "/assets/", "/a\\..\\b.js"})
        assert_false(file_segments(path).has_value());
    assert_false(file_segments(std::string_view("/a\0b.js", 7)).has_value());
}

void types_come_from_the_extension_and_unknown_ones_are_refused(void**) {
    assert_text_equal(*content_type_of("index.html"), "text/html; charset=utf-8");
    assert_text_equal(*content_type_of("main-ABCD1234.js"), "text/javascript; charset=utf-8");
    assert_text_equal(*content_type_of("main-ABCD1234.css"), "text/css; charset=utf-8");
    assert_text_equal(*content_type_of("logo.svg"), "image/svg+xml");
    assert_false(content_type_of("sarang.conf").has_value());
    assert_false(content_type_of("Makefile").has_value());
    assert_false(content_type_of("run.sh").has_value());
}

void only_hashed_names_are_cached_for_long(void**) {
    assert_true(is_content_hashed("main-ABCD1234.js"));
    assert_true(is_content_hashed("main-Z9Z9Z9Z9.css"));
    assert_false(is_content_hashed("index.html"));
    assert_false(is_content_hashed("main-abcd1234.js"));
    assert_false(is_content_hashed("mainABCD1234.js"));
    assert_false(is_content_hashed("-ABCD123.js"));
    assert_text_equal(cache_control_of("main-ABCD1234.js"), "public, max-age=31536000, immutable");
    assert_text_equal(cache_control_of("index.html"), "no-cache");
}

void the_policy_allows_no_inline_script(void**) {
    std::string policy(content_security_policy());
    assert_non_null(strstr(policy.c_str(), "script-src 'self';"));
    assert_null(strstr(policy.c_str(), "unsafe-inline"));
    assert_null(strstr(policy.c_str(), "unsafe-eval"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_root_is_index_html_and_segments_are_split),
        cmocka_unit_test(traversal_hidden_and_odd_paths_name_no_file),
        cmocka_unit_test(types_come_from_the_extension_and_unknown_ones_are_refused),
        cmocka_unit_test(only_hashed_names_are_cached_for_long),
        cmocka_unit_test(the_policy_allows_no_inline_script),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
