// The pure parts of the dashboard API: query parameters, DRF page links, threshold bodies.
#include "http_error.hpp"
#include "pagination.hpp"
#include "query_params.hpp"
#include "text_encoding.hpp"
#include "thresholds.hpp"

#include <cstring>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::http;

namespace {

Request with_query(std::map<std::string, std::string> query) {
    Request request;
    request.method = "GET";
    request.path = "/api/v1/devices/";
    request.query = std::move(query);
    return request;
}

// The field a 422 names, or "" when `run` does not throw one.
template <typename Run> std::string refused_field(Run run) {
    try {
        run();
    } catch (const HttpError& error) {
        assert_int_equal(error.response().status, 422);
        std::string error_text;
        json::Ptr body = json::parse(error.response().body, error_text);
        return json_string_value(json_object_get(body.get(), "field"));
    }
    return "";
}

void pages_default_and_refuse_nonsense(void**) {
    PageRequest page = query_page(with_query({}));
    assert_int_equal(page.page, 1);
    assert_int_equal(page.size, 50);
    page = query_page(with_query({{"page", "3"}, {"page_size", "20"}}));
    assert_int_equal(page.offset(), 40);
    assert_text_equal(refused_field([] { query_page(with_query({{"page", "0"}})); }), "page");
    assert_text_equal(refused_field([] { query_page(with_query({{"page", "2x"}})); }), "page");
    assert_text_equal(refused_field([] { query_page(with_query({{"page", "-1"}})); }), "page");
    assert_text_equal(refused_field([] {
                          query_page(with_query({{"page_size", "501"}}));
                      }),
                      "page_size");
    // An empty value is no value, as in DRF.
    assert_int_equal(query_page(with_query({{"page", ""}})).page, 1);
}

void choices_and_times_are_checked(void**) {
    Request request = with_query({{"ordering", "-name"}, {"from", "2026-01-01T10:00:00Z"}});
    assert_text_equal(*query_choice(request, "ordering", {"name", "-name"}), "-name");
    assert_false(query_choice(request, "status", {"online"}).has_value());
    assert_text_equal(refused_field([&] { query_choice(request, "ordering", {"id"}); }),
                      "ordering");
    assert_true(query_time(request, "from").has_value());
    Request bad = with_query({{"to", "tomorrow"}});
    assert_text_equal(refused_field([&] { query_time(bad, "to"); }), "to");
}

void page_links_keep_the_other_parameters(void**) {
    std::map<std::string, std::string> query = {
        {"page", "2"}, {"kind", "hydro-sensor"}, {"search", "pi 1&2"}};
    PageLinks middle = page_links("/api/v1/devices/", query, {2, 10}, 25);
    assert_text_equal(*middle.next, "/api/v1/devices/?page=3&kind=hydro-sensor&search=pi%201%262");
    assert_text_equal(*middle.previous,
                      "/api/v1/devices/?page=1&kind=hydro-sensor&search=pi%201%262");
    PageLinks last = page_links("/x/", {}, {3, 10}, 25);
    assert_false(last.next.has_value());
    PageLinks only = page_links("/x/", {}, {1, 10}, 10);
    assert_false(only.next.has_value());
    assert_false(only.previous.has_value());
    try {
        require_page_exists({4, 10}, 25);
        fail_msg("page 4 of 25 rows by 10 does not exist");
    } catch (const HttpError& error) {
        assert_int_equal(error.response().status, 404);
    }
    require_page_exists({1, 10}, 0); // an empty first page is fine
}

json::Ptr parse(const char* text) {
    std::string error;
    json::Ptr value = json::parse(text, error);
    assert_non_null(value.get());
    return value;
}

void threshold_bodies_are_validated(void**) {
    const KindSpec& hydro = *find_kind("hydro-sensor");
    auto refused = [&](const char* body) {
        json::Ptr value = parse(body);
        return refused_field([&] { parse_thresholds_body(value.get(), hydro); });
    };
    json::Ptr good = parse(R"({"ph": {"normal": {"low": 6, "high": 7}, "warning": {"low": 5,
                               "high": null}}})");
    std::map<std::string, Thresholds> parsed = parse_thresholds_body(good.get(), hydro);
    assert_true(*parsed.at("ph").normal.low == 6.0);
    assert_false(parsed.at("ph").warning.high.has_value());
    assert_int_equal(classify(7.5, parsed.at("ph")) == Level::warning, 1);
    assert_int_equal(classify(4.0, parsed.at("ph")) == Level::critical, 1);

    assert_text_equal(refused("{}"), "body");
    assert_text_equal(refused(R"({"humidity": {"normal": {}, "warning": {}}})"), "humidity");
    assert_text_equal(refused(R"({"ph": 5})"), "ph");
    assert_text_equal(refused(R"({"ph": {"warning": {}}})"), "ph.normal");
    assert_text_equal(refused(R"({"ph": {"normal": {"high": true}, "warning": {}}})"),
                      "ph.normal.high");
    assert_text_equal(refused(R"({"ph": {"normal": {"low": 7, "high": 6}, "warning": {}}})"),
                      "ph.normal");
    assert_text_equal(refused(R"({"ph": {"normal": {"low": 4}, "warning": {"low": 5}}})"),
                      "ph.normal.low");
    assert_text_equal(refused(R"({"ph": {"normal": {}, "warning": {"high": 8}}})"),
                      "ph.normal.high");
}

void kinds_list_each_metric_once(void**) {
    std::vector<const MetricSpec*> metrics = kind_metrics(*find_kind("hydro-sensor"));
    assert_int_equal(metrics.size(), 4); // tds, ph, temperature, rssi
    assert_text_equal(metrics[0]->name, "tds");
    assert_text_equal(metrics[3]->name, "rssi");
    assert_int_equal(kind_metrics(*find_kind("parcel-box")).size(), 2); // rssi, distance_cm
    EffectiveThresholds defaults{find_kind("hydro-sensor")->metric("ph")->defaults, false};
    json::Ptr level = level_json(6.0, defaults);
    assert_text_equal(json_string_value(level.get()), "normal");
    assert_true(json_is_null(level_json(6.0, std::nullopt).get()));
}

} // namespace

void request_text_must_be_utf8(void**) {
    assert_true(valid_utf8("pi-1"));
    assert_true(valid_utf8("\xe2\x80\xae box \xf0\x9f\x92\xa9")); // RTL override, emoji
    assert_false(valid_utf8("\xff\xfe"));
    assert_false(valid_utf8("\xc0\xae"));         // overlong '.'
    assert_false(valid_utf8("\xe0\x80\xaf"));     // overlong '/'
    assert_false(valid_utf8("\xed\xa0\x80"));     // a surrogate
    assert_false(valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
    assert_false(valid_utf8("\xe2\x80"));         // cut short
    assert_false(valid_utf8(std::string_view("a\0b", 3)));
    char path[] = "/media/a%00.jpg%2e%2E%2Fx%zz%4";
    size_t length = percent_decode_in_place(path);
    assert_int_equal(length, std::strlen(path));
    assert_string_equal(path, "/media/a\xff.jpg../x%zz%4");
    assert_false(valid_utf8(path)); // so a %00 refuses the whole request
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(pages_default_and_refuse_nonsense),
        cmocka_unit_test(choices_and_times_are_checked),
        cmocka_unit_test(page_links_keep_the_other_parameters),
        cmocka_unit_test(threshold_bodies_are_validated),
        cmocka_unit_test(kinds_list_each_metric_once),
        cmocka_unit_test(request_text_must_be_utf8),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
