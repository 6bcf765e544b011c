#include "sarang_fw/json.hpp"

#include "cmocka.hpp"

using namespace sarang_fw;

namespace {

void objects_print_compact_with_every_type(void**) {
    Json nested = Json::object();
    nested.set_number("min", 12);
    Json list = Json::array();
    list.append(std::move(Json::object().set_number("id", 1)));
    std::string text = Json::object()
                           .set_string("s", "a \"quoted\" text")
                           .set_number("n", 6.8)
                           .set_number("big", 1763900000123.0)
                           .set_bool("b", false)
                           .set_null("e")
                           .set_json("o", std::move(nested))
                           .set_json("l", std::move(list))
                           .print();
    assert_text_equal(text, R"({"s":"a \"quoted\" text","n":6.8,"big":1763900000123,"b":false,)"
                            R"("e":null,"o":{"min":12},"l":[{"id":1}]})");
}

void setting_a_key_again_replaces_it(void**) {
    Json json = Json::object();
    json.set_string("k", "one").set_string("k", "two");
    assert_text_equal(json.print(), R"({"k":"two"})");
}

void reading_checks_types(void**) {
    std::optional<Json> json = Json::parse(R"({"s":"x","n":2,"f":1.5,"b":true,"o":{"i":3}})");
    assert_true(json.has_value());
    JsonView view = json->view();
    assert_true(view.is_object());
    assert_text_equal(*view.string("s"), "x");
    assert_false(view.string("n").has_value());
    assert_int_equal(*view.whole_number("n"), 2);
    assert_false(view.whole_number("f").has_value());
    assert_true(*view.boolean("b"));
    assert_false(view.boolean("s").has_value());
    assert_int_equal(*view.field("o").whole_number("i"), 3);
    assert_false(view.field("missing").exists());
    assert_false(view.field("s").field("x").exists());
}

void garbage_is_not_json(void**) {
    assert_false(Json::parse("{\"a\":").has_value());
    assert_false(Json::parse("").has_value());
    assert_false(Json::parse("online").has_value());
    std::optional<Json> word = Json::parse("\"online\"");
    assert_true(word.has_value());
    assert_false(word->view().is_object());
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(objects_print_compact_with_every_type),
        cmocka_unit_test(setting_a_key_again_replaces_it),
        cmocka_unit_test(reading_checks_types),
        cmocka_unit_test(garbage_is_not_json),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
