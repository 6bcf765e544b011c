#include "sarang/config.hpp"

#include <cstring>
#include <map>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using sarang::Config;
using sarang::ConfigError;

namespace {

std::map<std::string, std::string> fake_env;
const char* lookup(const char* name) {
    auto found = fake_env.find(name);
    return found == fake_env.end() ? nullptr : found->second.c_str();
}

Config parse(const char* text) {
    return Config::parse(text, "test.conf", lookup);
}

std::string error_of(const char* text) {
    try {
        parse(text);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

void reads_values_and_defaults(void**) {
    fake_env.clear();
    Config config = parse("# comment\n\n db.dsn = host=x dbname=y \nhttp.port=9000\n"
                          "access.require_client_id_match = off\n");
    assert_text_equal(config.string("db.dsn"), "host=x dbname=y");
    assert_int_equal(config.integer("http.port"), 9000);
    assert_false(config.boolean("access.require_client_id_match"));
    assert_text_equal(config.string("http.bind"), "127.0.0.1"); // default
    assert_true(config.has("db.dsn"));
    assert_false(config.has("http.bind"));
}

void unknown_key_names_the_line(void**) {
    fake_env.clear();
    std::string error = error_of("db.dsn = x\nhttp.prot = 80\n");
    assert_non_null(std::strstr(error.c_str(), "test.conf:2"));
    assert_non_null(std::strstr(error.c_str(), "unknown key 'http.prot'"));
}

void rejects_bad_types_duplicates_and_garbage(void**) {
    fake_env.clear();
    assert_non_null(std::strstr(error_of("http.port = eighty\n").c_str(), "must be an integer"));
    assert_non_null(std::strstr(error_of("http.port = 80x\n").c_str(), "must be an integer"));
    assert_non_null(
        std::strstr(error_of("access.require_client_id_match = maybe\n").c_str(), "true or false"));
    assert_non_null(std::strstr(error_of("http.port = 1\nhttp.port = 2\n").c_str(), "set twice"));
    assert_non_null(std::strstr(error_of("just words\n").c_str(), "expected 'key = value'"));
}

void environment_overrides_file(void**) {
    fake_env = {{"SARANG_HTTP_PORT", "7000"}, {"SARANG_DB_DSN", "from-env"}};
    Config config = parse("http.port = 9000\n");
    assert_int_equal(config.integer("http.port"), 7000);
    assert_text_equal(config.string("db.dsn"), "from-env");
    fake_env = {{"SARANG_HTTP_PORT", "not-a-number"}};
    assert_non_null(std::strstr(error_of("").c_str(), "environment SARANG_HTTP_PORT"));
    fake_env.clear();
}

void required_key_without_default_is_an_error(void**) {
    fake_env.clear();
    Config config = parse("");
    bool thrown = false;
    try {
        config.string("auth.pepper");
    } catch (const ConfigError& error) {
        thrown = std::strstr(error.what(), "SARANG_AUTH_PEPPER") != nullptr;
    }
    assert_true(thrown);
}

void env_name_maps_dots_to_underscores(void**) {
    assert_text_equal(Config::env_name("db.dsn"), "SARANG_DB_DSN");
    assert_text_equal(Config::env_name("access.require_client_id_match"),
                      "SARANG_ACCESS_REQUIRE_CLIENT_ID_MATCH");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(reads_values_and_defaults),
        cmocka_unit_test(unknown_key_names_the_line),
        cmocka_unit_test(rejects_bad_types_duplicates_and_garbage),
        cmocka_unit_test(environment_overrides_file),
        cmocka_unit_test(required_key_without_default_is_an_error),
        cmocka_unit_test(env_name_maps_dots_to_underscores),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
