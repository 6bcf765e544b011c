// The parcel box's pure parts: settings ranges, control payloads, upload meta, image sniffing.
#include "http_error.hpp"
#include "parcel/control_payload.hpp"
#include "parcel/image_type.hpp"
#include "parcel/package_meta.hpp"
#include "parcel/parcel_settings.hpp"

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::http;

namespace {

json::Ptr parse(const char* text) {
    std::string error;
    return json::parse(text, error);
}

// The status and the field a throwing call answers with; 0 when it does not throw.
std::pair<int, std::string> refusal(const auto& call) {
    try {
        call();
    } catch (const HttpError& error) {
        json::Ptr body = parse(error.response().body.c_str());
        const json_t* field = json_object_get(body.get(), "field");
        return {error.response().status, field ? json_string_value(field) : ""};
    }
    return {0, ""};
}

void settings_ranges_name_the_field(void**) {
    ParcelSettings defaults;
    auto change = [&](const char* text) {
        return refusal([&] { apply_settings_change(defaults, parse(text).get()); });
    };
    assert_true(change(R"({"ultra":{"min":4}})") == std::make_pair(400, std::string("ultra.min")));
    assert_true(change(R"({"ultra":{"max":51}})") == std::make_pair(400, std::string("ultra.max")));
    assert_true(change(R"({"ultra":{"min":30}})") == std::make_pair(400, std::string("ultra.min")));
    assert_true(change(R"({"lock":{"ms":999}})") == std::make_pair(400, std::string("lock.ms")));
    assert_true(change(R"({"buzzer":{"ms":300001}})") ==
                std::make_pair(400, std::string("buzzer.ms")));
    assert_true(change(R"({"buzzer":{"buzzOff":2001}})") ==
                std::make_pair(400, std::string("buzzer.buzzOff")));
    assert_true(change(R"({"doorLock":{"ms":30001}})") ==
                std::make_pair(400, std::string("doorLock.ms")));
    assert_true(change(R"({"lock":{"ms":"5000"}})") == std::make_pair(400, std::string("lock.ms")));
    assert_true(change(R"({"fan":{"on":1}})").first == 400);
    assert_true(change("{}") == std::make_pair(400, std::string("settings")));
    assert_true(change(R"({"deviceId":"box-01"})") == std::make_pair(400, std::string("settings")));
    ParcelSettings next = apply_settings_change(
        defaults, parse(R"({"ultra":{"min":10,"max":30},"lock":{"ms":7000.0}})").get());
    assert_int_equal(next.ultra_min, 10);
    assert_int_equal(next.ultra_max, 30);
    assert_int_equal(next.lock_ms, 7000);
    assert_int_equal(next.buzzer_ms, 60000);
    assert_true(settings_from_json(settings_json(next).get()) == next);
}

void control_payloads_follow_the_seed(void**) {
    auto payload = [](const char* action, const char* body) {
        json::Ptr object = parse(body);
        return json::dump(control_payload(action, object.get()).get());
    };
    assert_string_equal(payload("capture", "{}").c_str(), R"({"capture":true})");
    assert_string_equal(payload("flash", R"({"state":"on","ms":99})").c_str(), R"({"flash":"on"})");
    assert_string_equal(payload("flash", R"({"state":"pulse"})").c_str(),
                        R"({"flash":"pulse","ms":150})");
    assert_string_equal(payload("buzzer", R"({"action":"start","ms":5000})").c_str(),
                        R"({"buzzer":"start","ms":5000})");
    assert_string_equal(payload("buzzer", R"({"action":"stop","ms":5000})").c_str(),
                        R"({"buzzer":"stop"})");
    assert_string_equal(payload("holder", R"({"action":"closed"})").c_str(),
                        R"({"holder":"closed"})");
    assert_string_equal(payload("stop-pipeline", "{}").c_str(), R"({"pipeline":"stop"})");
    auto bad = [](const char* action, const char* body) {
        json::Ptr object = parse(body);
        return refusal([&] { control_payload(action, object.get()); });
    };
    assert_true(bad("flash", R"({"state":"blink"})") == std::make_pair(422, std::string("state")));
    assert_true(bad("buzzer", R"({"action":"start","ms":10})") ==
                std::make_pair(422, std::string("ms")));
    assert_true(bad("holder", "{}") == std::make_pair(422, std::string("action")));
    assert_int_equal(bad("dance", "{}").first, 404);
    json::Ptr sent = parse(R"({"pipeline":"stop","id":"x"})");
    assert_string_equal(std::string(control_name(sent.get())).c_str(), "stop-pipeline");
}

void upload_meta_is_checked(void**) {
    PackageMeta meta = parse_package_meta(
        R"({"deviceId":"box-01","distanceCm":17,"reason":"detect","firmware":"esp32cam-allinone"})");
    assert_string_equal(meta.device_id->c_str(), "box-01");
    assert_true(*meta.distance_cm == 17.0);
    assert_string_equal(meta.firmware->c_str(), "esp32cam-allinone");
    PackageMeta empty = parse_package_meta("");
    assert_false(empty.device_id.has_value());
    assert_string_equal(empty.reason.c_str(), "detect");
    assert_int_equal(refusal([] { parse_package_meta("[1]"); }).first, 400);
    assert_true(refusal([] { parse_package_meta(R"({"distanceCm":"far"})"); }) ==
                std::make_pair(422, std::string("distanceCm")));
    assert_true(refusal([] { parse_package_meta(R"({"distanceCm":-1})"); }) ==
                std::make_pair(422, std::string("distanceCm")));
    assert_true(refusal([] { parse_package_meta(R"({"reason":"a\nb"})"); }) ==
                std::make_pair(422, std::string("reason")));
}

void images_are_known_by_their_first_bytes(void**) {
    assert_true(sniff_image(std::string("\xFF\xD8\xFF\xE0", 4)) == ImageType::jpeg);
    assert_true(sniff_image(std::string("\x89PNG\r\n\x1A\n", 8)) == ImageType::png);
    assert_true(sniff_image("GIF89a") == ImageType::other);
    assert_true(sniff_image("hello") == ImageType::other);
    assert_true(sniff_image("") == ImageType::other);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(settings_ranges_name_the_field),
        cmocka_unit_test(control_payloads_follow_the_seed),
        cmocka_unit_test(upload_meta_is_checked),
        cmocka_unit_test(images_are_known_by_their_first_bytes),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
