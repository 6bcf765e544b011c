// The sidecar's JSON request bodies, through the pure parsers the handlers call: the body
// itself (json_object_body: content type, JSON object), typed fields, threshold PUTs, parcel
// settings changes, control actions and the upload's meta field. Every refusal must be an
// HttpError with a 4xx status: bad input is never a 500.
#include "http_fuzz_support.hpp"
#include "json_body.hpp"
#include "parcel/control_payload.hpp"
#include "parcel/package_meta.hpp"
#include "parcel/parcel_settings.hpp"
#include "thresholds.hpp"

using namespace sarang::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const char* const content_types[] = {
        "application/json", "application/json; charset=utf-8", "text/plain", "APPLICATION/JSON "};
    static const char* const actions[] = {"capture", "flash",         "buzzer",
                                          "holder",  "stop-pipeline", "unknown"};
    FuzzedDataProvider input(data, size);
    Request request;
    request.method = "POST";
    std::uint8_t choice = input.ConsumeIntegral<std::uint8_t>();
    if (choice % 5 != 4)
        request.headers["content-type"] = content_types[choice % 5];
    const char* action = actions[input.ConsumeIntegral<std::uint8_t>() % 6];
    auto kinds = sarang::all_kinds();
    const sarang::KindSpec& kind = kinds[input.ConsumeIntegral<std::uint8_t>() % kinds.size()];
    request.body = input.ConsumeRemainingBytesAsString();

    refuses_cleanly([&] {
        sarang::json::Ptr body = json_object_body(request);
        FUZZ_CHECK(json_is_object(body.get()));
        refuses_cleanly([&] { optional_string(body.get(), "name"); });
        refuses_cleanly([&] { required_string(body.get(), "username"); });
        refuses_cleanly([&] { optional_integer(body.get(), "timeout_s", 1, 604800); });
        refuses_cleanly([&] {
            long long slot = required_integer(body.get(), "slot", 1, 64);
            FUZZ_CHECK(slot >= 1 && slot <= 64);
        });
        refuses_cleanly([&] { parse_thresholds_body(body.get(), kind); });
        refuses_cleanly([&] {
            ParcelSettings next = apply_settings_change(ParcelSettings{}, body.get());
            FUZZ_CHECK(next.ultra_min < next.ultra_max);
            FUZZ_CHECK(settings_from_json(settings_json(next).get()) == next);
        });
        refuses_cleanly([&] {
            sarang::json::Ptr payload = control_payload(action, body.get());
            FUZZ_CHECK(!control_name(payload.get()).empty());
        });
    });
    // Multipart `meta` is a form field: the same bytes as text.
    refuses_cleanly([&] { parse_package_meta(request.body); });
    return 0;
}
