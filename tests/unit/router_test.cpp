#include "router.hpp"

#include <cstring>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::http;

namespace {

Request request(const char* method, const char* path, const char* body = "") {
    Request made;
    made.method = method;
    made.path = path;
    made.body = body;
    return made;
}

Router make_router() {
    Router router;
    router.add("GET", "/api/v1/readings/latest/", [](const Request&) {
        Response response;
        response.body = "latest";
        return response;
    });
    router.add("POST", "/api/v1/readings/latest/", [](const Request& request) {
        Response response;
        response.status = 201;
        response.body = request.body;
        return response;
    });
    router.add(
        "GET", "/api/v1/devices/{id}/commands/{command}",
        [](const Request& request) {
            Response response;
            response.body = *request.param("id") + "+" + *request.param("command");
            return response;
        },
        Lane::slow);
    router.add("GET", "/api/v1/devices/{id}", [](const Request& request) {
        Response response;
        response.body = *request.param("id");
        return response;
    });
    return router;
}

void trailing_slash_is_optional(void**) {
    Router router = make_router();
    assert_text_equal(router.dispatch(request("GET", "/api/v1/readings/latest/")).body, "latest");
    assert_text_equal(router.dispatch(request("GET", "/api/v1/readings/latest")).body, "latest");
    assert_text_equal(router.route_of("GET", "/api/v1/readings/latest"), "/api/v1/readings/latest");
}

void methods_are_routed_and_head_follows_get(void**) {
    Router router = make_router();
    Response created = router.dispatch(request("POST", "/api/v1/readings/latest/", "body"));
    assert_int_equal(created.status, 201);
    assert_text_equal(created.body, "body");
    assert_text_equal(router.dispatch(request("HEAD", "/api/v1/readings/latest/")).body, "latest");
}

void unknown_path_is_404_and_wrong_method_405_with_allow(void**) {
    Router router = make_router();
    Response missing = router.dispatch(request("GET", "/nope"));
    assert_int_equal(missing.status, 404);
    assert_non_null(std::strstr(missing.body.c_str(), R"("code":"not_found")"));
    Response wrong = router.dispatch(request("DELETE", "/api/v1/readings/latest/"));
    assert_int_equal(wrong.status, 405);
    assert_non_null(std::strstr(wrong.body.c_str(), R"("code":"method_not_allowed")"));
    assert_int_equal(wrong.headers.size(), 1);
    assert_text_equal(wrong.headers[0].first, "Allow");
    assert_text_equal(wrong.headers[0].second, "GET, POST");
    assert_text_equal(router.route_of("GET", "/nope"), "unmatched");
}

void placeholders_capture_one_segment_each(void**) {
    Router router = make_router();
    assert_text_equal(router.dispatch(request("GET", "/api/v1/devices/pi-7")).body, "pi-7");
    assert_text_equal(router.dispatch(request("GET", "/api/v1/devices/pi-7/")).body, "pi-7");
    assert_text_equal(router.dispatch(request("GET", "/api/v1/devices/vm-1/commands/42")).body,
                      "vm-1+42");
    assert_text_equal(router.route_of("GET", "/api/v1/devices/pi-7"), "/api/v1/devices/{id}");
    // A placeholder never spans segments, is never empty, and extra segments do not match.
    assert_int_equal(router.dispatch(request("GET", "/api/v1/devices/a/b")).status, 404);
    assert_int_equal(router.dispatch(request("GET", "/api/v1/devices//commands/1")).status, 404);
    assert_int_equal(router.dispatch(request("GET", "/api/v1/devices/a/commands/1/x")).status, 404);
    assert_int_equal(router.dispatch(request("GET", "/api/v1")).status, 404);
}

void match_reports_the_lane(void**) {
    Router router = make_router();
    Router::Match slow = router.match("GET", "/api/v1/devices/x/commands/y");
    assert_non_null(slow.route);
    assert_true(slow.route->lane == Lane::slow);
    assert_text_equal(slow.params.at("command"), "y");
    Router::Match quick = router.match("GET", "/api/v1/devices/x");
    assert_non_null(quick.route);
    assert_true(quick.route->lane == Lane::quick);
    assert_null(router.match("PUT", "/api/v1/devices/x").route);
}

void headers_and_params_are_looked_up_by_name(void**) {
    Request made = request("GET", "/");
    made.headers["x-api-key"] = "secret";
    assert_text_equal(*made.header("x-api-key"), "secret");
    assert_null(made.header("authorization"));
    assert_null(made.param("id"));
}

void the_fallback_gets_unrouted_gets_outside_api_only(void**) {
    Router router = make_router();
    router.set_fallback([](const Request& request) {
        Response response;
        response.body = "static " + request.path;
        return response;
    });
    assert_text_equal(router.dispatch(request("GET", "/")).body, "static /");
    assert_text_equal(router.dispatch(request("HEAD", "/app-ABCD1234.js")).body,
                      "static /app-ABCD1234.js");
    assert_text_equal(router.route_of("GET", "/index.html"), Router::FALLBACK_PATTERN);
    // Routes keep priority; the API's unknown paths and other methods stay JSON errors.
    assert_text_equal(router.dispatch(request("GET", "/api/v1/readings/latest")).body, "latest");
    assert_int_equal(router.dispatch(request("GET", "/api/v1/nothing")).status, 404);
    assert_int_equal(router.dispatch(request("GET", "/api")).status, 404);
    assert_int_equal(router.dispatch(request("POST", "/index.html")).status, 404);
    assert_int_equal(router.dispatch(request("DELETE", "/api/v1/readings/latest")).status, 405);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(trailing_slash_is_optional),
        cmocka_unit_test(methods_are_routed_and_head_follows_get),
        cmocka_unit_test(unknown_path_is_404_and_wrong_method_405_with_allow),
        cmocka_unit_test(placeholders_capture_one_segment_each),
        cmocka_unit_test(match_reports_the_lane),
        cmocka_unit_test(headers_and_params_are_looked_up_by_name),
        cmocka_unit_test(the_fallback_gets_unrouted_gets_outside_api_only),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
