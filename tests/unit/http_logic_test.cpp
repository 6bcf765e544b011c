// The sidecar's pure pieces: JSON body reading with its error statuses, and the metrics text.
#include "http_error.hpp"
#include "json_body.hpp"
#include "listen_address.hpp"
#include "metrics.hpp"
#include "notify/messages.hpp"
#include "response.hpp"
#include "seed_shapes.hpp"
#include "time_text.hpp"
#include "worker_status.hpp"

#include <cstring>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::http;

namespace {

Request post(const char* content_type, const char* body) {
    Request request;
    request.method = "POST";
    request.path = "/api/auth/login";
    if (content_type)
        request.headers["content-type"] = content_type;
    request.body = body;
    return request;
}

int status_of(const Request& request) {
    try {
        json_object_body(request);
        return 200;
    } catch (const HttpError& error) {
        return error.response().status;
    }
}

void body_errors_have_their_statuses(void**) {
    assert_int_equal(status_of(post("application/json", R"({"a":1})")), 200);
    assert_int_equal(status_of(post("application/json; charset=utf-8", R"({"a":1})")), 200);
    assert_int_equal(status_of(post("text/plain", R"({"a":1})")), 415);
    assert_int_equal(status_of(post(nullptr, R"({"a":1})")), 415);
    assert_int_equal(status_of(post("application/json", "")), 400);
    assert_int_equal(status_of(post("text/plain", "")), 415);
    assert_int_equal(status_of(post("APPLICATION/JSON", R"({"a":1})")), 200);
    assert_int_equal(status_of(post("application/json", "{not json")), 400);
    assert_int_equal(status_of(post("application/json", "[1,2]")), 400);
    // jansson quotes a bad escape's bytes in its message; invalid UTF-8 there made the 400's
    // own JSON impossible to build, and the answer a 500 (fuzz/rest_json_fuzz.cpp).
    Request bad_escape = post("application/json", "\"\\u\xc2\xbe\xb7\x01\xc0`\"");
    assert_int_equal(status_of(bad_escape), 400);
    try {
        json_object_body(bad_escape);
    } catch (const HttpError& error) {
        assert_non_null(std::strstr(error.response().body.c_str(), "\\\\xc2"));
    }
}

void fields_are_checked_and_named(void**) {
    std::string ignored;
    json::Ptr body = json::parse(R"({"pin": 1234, "name": "x", "empty": ""})", ignored);
    try {
        required_string(body.get(), "pin");
        fail_msg("a number where a string belongs must be refused");
    } catch (const HttpError& error) {
        assert_int_equal(error.response().status, 422);
        assert_non_null(std::strstr(error.response().body.c_str(), R"("field":"pin")"));
        assert_non_null(
            std::strstr(error.response().body.c_str(), R"("code":"validation_failed")"));
    }
    try {
        required_string(body.get(), "empty");
        fail_msg("an empty required string must be refused");
    } catch (const HttpError& error) {
        assert_int_equal(error.response().status, 422);
    }
    assert_text_equal(required_string(body.get(), "name"), "x");
    assert_false(optional_string(body.get(), "missing").has_value());
}

void metrics_render_counters_and_cumulative_buckets(void**) {
    Metrics metrics;
    metrics.record("/healthz", "GET", 200, 0.0005);
    metrics.record("/healthz", "GET", 200, 0.02);
    metrics.record("/api/auth/login", "POST", 401, 0.08);
    metrics.record("unmatched", "BREW", 404, 0.001); // a client's method: bounded label set
    metrics.add_gauge("sarang_http_in_flight", "Requests being handled.", [] { return 3.0; });
    std::string text = metrics.render();
    assert_non_null(std::strstr(
        text.c_str(),
        "sarang_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2\n"));
    assert_non_null(std::strstr(
        text.c_str(),
        "sarang_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 1\n"));
    assert_non_null(std::strstr(
        text.c_str(),
        "sarang_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.025\"} 2\n"));
    assert_non_null(std::strstr(
        text.c_str(),
        "sarang_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2\n"));
    assert_non_null(std::strstr(
        text.c_str(), "sarang_http_request_duration_seconds_count{route=\"/api/auth/login\"} 1\n"));
    assert_non_null(std::strstr(
        text.c_str(),
        "sarang_http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1\n"));
    assert_null(std::strstr(text.c_str(), "BREW"));
    assert_non_null(std::strstr(text.c_str(), "# TYPE sarang_http_in_flight gauge\n"
                                              "sarang_http_in_flight 3\n"));
}

void timestamps_are_utc_with_milliseconds(void**) {
    auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1763028000123));
    assert_text_equal(iso8601(at), "2025-11-13T10:00:00.123Z");
}

void captions_speak_indonesian_by_default_and_skip_missing_fields(void**) {
    std::string error;
    json::Ptr data = json::parse(R"({"distanceCm": 17})", error);
    std::string id =
        notification_text("package_received", "id", data.get(), "box-01", "23/11/2026 19:00 WIB");
    assert_text_equal(id, "📦 Paket baru diterima di box-01.\nWaktu: 23/11/2026 19:00 WIB\n"
                          "Jarak: 17 cm");
    std::string en = notification_text("package_received", "en", data.get(), "box-01", "");
    assert_text_equal(en, "📦 New parcel received at box-01.\nDistance: 17 cm");
    json::Ptr empty = json::own(json_object());
    std::string alert = notification_text("lock_alert", "id", empty.get(), "", "");
    assert_text_equal(alert, "🚨 Peringatan kunci pintu.");
    assert_null(std::strstr(alert.c_str(), "null"));
    json::Ptr message = json::parse(R"({"message": "halo"})", error);
    assert_text_equal(notification_text("test", "id", message.get(), "", ""), "halo");
}

void media_links_expire_and_resist_tampering(void**) {
    auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    std::string url = signed_media_url("http://sarang.local/", "packages/1.jpg",
                                       now + std::chrono::seconds(60), "pepper");
    assert_true(url.starts_with("http://sarang.local/api/v1/media/packages/1.jpg?expires="
                                "1800000060&signature="));
    std::string signature = url.substr(url.find("signature=") + 10);
    assert_true(media_signature_valid("packages/1.jpg", 1800000060, signature, "pepper", now));
    assert_false(media_signature_valid("packages/2.jpg", 1800000060, signature, "pepper", now));
    assert_false(media_signature_valid("packages/1.jpg", 1800000061, signature, "pepper", now));
    assert_false(media_signature_valid("packages/1.jpg", 1800000060, signature, "other", now));
    assert_false(media_signature_valid("packages/1.jpg", 1800000060, signature, "pepper",
                                       now + std::chrono::seconds(61)));
}

void webhook_secrets_are_per_hook_and_signatures_cover_the_body(void**) {
    assert_true(webhook_secret("pepper", 1) != webhook_secret("pepper", 2));
    assert_int_equal(webhook_secret("pepper", 1).size(), 64);
    std::string signature = webhook_signature("secret", "{}");
    assert_true(signature.starts_with("sha256="));
    assert_int_equal(signature.size(), 7 + 64);
    assert_true(signature != webhook_signature("secret", "{ }"));
}

// A message quoting a client's invalid UTF-8 still makes a JSON error, not a failure to build one.
void error_messages_with_invalid_utf8_still_answer(void**) {
    Response response = error_response(400, "bad_request", "field x\xff\xfe is odd");
    assert_int_equal(response.status, 400);
    assert_string_equal(response.body.c_str(),
                        "{\"error\":\"field x?? is odd\",\"code\":\"bad_request\"}");
    Response fine = error_response(422, "validation_failed", "name 'Kebun Ibu' is taken");
    assert_true(fine.body.find("Kebun Ibu") != std::string::npos);
}

// Issue #21: the plugins' workers on /metrics and /healthz, from worker_status rows.
void worker_status_renders_series_and_names_troubled_workers(void**) {
    std::vector<WorkerRow> rows(3);
    rows[0] = {"node-a", "commands", "sarang-cmd-ack", 2, 5, "bad item", 1.5, 60.0};
    rows[1] = {"node-a", "vending", "sarang-vending", 0, 0, "", 2.0, std::nullopt};
    rows[2] = {"node-b", "access", "sarang-access", 1, 0, "old", 45.0, 7200.0};
    std::string text = render_worker_metrics(rows);
    assert_non_null(std::strstr(text.c_str(), "# TYPE sarang_worker_restarts_total counter\n"));
    assert_non_null(std::strstr(text.c_str(), "sarang_worker_restarts_total{node=\"node-a\",plugin="
                                              "\"commands\",worker=\"sarang-cmd-ack\"} 2\n"));
    assert_non_null(std::strstr(text.c_str(),
                                "sarang_worker_poisoned_items_total{node=\"node-a\",plugin="
                                "\"commands\",worker=\"sarang-cmd-ack\"} 5\n"));
    assert_non_null(std::strstr(text.c_str(), "sarang_worker_restarts_total{node=\"node-a\",plugin="
                                              "\"vending\",worker=\"sarang-vending\"} 0\n"));
    std::string health = json::dump(workers_health(rows).get());
    assert_text_equal(
        health,
        R"({"status":"degraded","restartedRecently":[{"node":"node-a","plugin":"commands",)"
        R"("worker":"sarang-cmd-ack","restarts":2,"secondsAgo":60,"lastError":"bad item"}],)"
        R"("notResponding":[{"node":"node-b","plugin":"access","worker":"sarang-access",)"
        R"("heartbeatAgeSeconds":45}]})");
    rows.erase(rows.begin());
    rows.pop_back();
    assert_text_equal(json::dump(workers_health(rows).get()),
                      R"({"status":"ok","restartedRecently":[],"notResponding":[]})");
}

// Seed 003's automatic status: the worst level of the reading metrics; others (rssi on the
// status topic) and unknown levels do not count.
void seed_status_is_the_worst_reading_level(void**) {
    const KindSpec* hydro = find_kind("hydro-sensor");
    auto status = [&](const char* levels) {
        std::string error;
        json::Ptr parsed = json::parse(levels, error);
        return json::dump(seed_status(parsed.get(), hydro).get());
    };
    assert_text_equal(status(R"({"ph":"normal","tds":"warning"})"), R"("warning")");
    assert_text_equal(status(R"({"ph":"critical","tds":"warning"})"), R"("critical")");
    assert_text_equal(status(R"({"ph":"normal","rssi":"critical"})"), R"("normal")");
    assert_text_equal(status(R"({"ph":null,"tds":"normal"})"), R"("normal")");
    assert_text_equal(status(R"({"rssi":"critical"})"), "null");
    assert_text_equal(status("{}"), "null");

    std::string error;
    json::Ptr values = json::parse(R"({"ph":6.8,"tds":512.5})", error);
    json::Ptr row = json::own(json_object());
    add_seed_values(row.get(), values.get());
    assert_text_equal(json::dump(row.get()), R"({"ph_value":6.8,"tds_value":512.5})");
    std::vector<std::string> metrics = reading_metric_names(hydro);
    assert_int_equal(metrics.size(), 3);
    assert_text_equal(metrics[0], "tds");
    assert_text_equal(metrics[1], "ph");
    assert_true(reading_metric_names(find_kind("relay")).empty());
}

// Plain HTTP is served on loopback only (docs/tls.md).
void only_loopback_counts_as_loopback(void**) {
    assert_true(http::is_loopback("127.0.0.1"));
    assert_true(http::is_loopback("127.1.2.3"));
    assert_true(http::is_loopback("::1"));
    assert_false(http::is_loopback("0.0.0.0"));
    assert_false(http::is_loopback("::"));
    assert_false(http::is_loopback("192.168.1.10"));
    assert_false(http::is_loopback("128.0.0.1"));
    assert_false(http::is_loopback("localhost"));
    assert_false(http::is_loopback(""));
}

void redirects_keep_the_target_and_trust_no_odd_host(void**) {
    // public_url wins when it is https.
    assert_text_equal(http::redirect_location("https://sarang.example/", "x.example", 8443,
                                              "/api/v1/devices?limit=5"),
                      "https://sarang.example/api/v1/devices?limit=5");
    // Otherwise the Host, its port replaced by the HTTPS one (none for 443).
    assert_text_equal(
        http::redirect_location("http://127.0.0.1:8080", "sarang.example:80", 443, "/login"),
        "https://sarang.example/login");
    assert_text_equal(http::redirect_location("", "10.0.0.5:8080", 8443, "/"),
                      "https://10.0.0.5:8443/");
    assert_text_equal(http::redirect_location("", "[2001:db8::1]:80", 443, "/a"),
                      "https://[2001:db8::1]/a");
    assert_text_equal(http::redirect_location("", "h.example", 443, "*"), "https://h.example/");
    // No host to trust: the caller answers 400.
    assert_text_equal(http::redirect_location("", "", 443, "/"), "");
    assert_text_equal(http::redirect_location("", "evil.example/x", 443, "/"), "");
    assert_text_equal(http::redirect_location("", "a@evil.example", 443, "/"), "");
    assert_text_equal(http::redirect_location("", "h.example:80x", 443, "/"), "");
    assert_text_equal(http::redirect_location("", "[zz]", 443, "/"), "");
    assert_text_equal(http::redirect_location("", "h.example", 443, "/a\r\nSet-Cookie: x"), "");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(body_errors_have_their_statuses),
        cmocka_unit_test(error_messages_with_invalid_utf8_still_answer),
        cmocka_unit_test(fields_are_checked_and_named),
        cmocka_unit_test(metrics_render_counters_and_cumulative_buckets),
        cmocka_unit_test(timestamps_are_utc_with_milliseconds),
        cmocka_unit_test(captions_speak_indonesian_by_default_and_skip_missing_fields),
        cmocka_unit_test(media_links_expire_and_resist_tampering),
        cmocka_unit_test(webhook_secrets_are_per_hook_and_signatures_cover_the_body),
        cmocka_unit_test(worker_status_renders_series_and_names_troubled_workers),
        cmocka_unit_test(seed_status_is_the_worst_reading_level),
        cmocka_unit_test(only_loopback_counts_as_loopback),
        cmocka_unit_test(redirects_keep_the_target_and_trust_no_odd_host),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
