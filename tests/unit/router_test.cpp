#include "router.hpp"

#include <cstring>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::http;

namespace {

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
    return router;
}

void trailing_slash_is_optional(void**) {
    Router router = make_router();
    assert_text_equal(router.dispatch({"GET", "/api/v1/readings/latest/", ""}).body, "latest");
    assert_text_equal(router.dispatch({"GET", "/api/v1/readings/latest", ""}).body, "latest");
    assert_text_equal(router.route_of({"GET", "/api/v1/readings/latest", ""}),
                      "/api/v1/readings/latest");
}

void methods_are_routed_and_head_follows_get(void**) {
    Router router = make_router();
    Response created = router.dispatch({"POST", "/api/v1/readings/latest/", "body"});
    assert_int_equal(created.status, 201);
    assert_text_equal(created.body, "body");
    assert_text_equal(router.dispatch({"HEAD", "/api/v1/readings/latest/", ""}).body, "latest");
}

void unknown_path_is_404_and_wrong_method_405_with_allow(void**) {
    Router router = make_router();
    Response missing = router.dispatch({"GET", "/nope", ""});
    assert_int_equal(missing.status, 404);
    assert_non_null(std::strstr(missing.body.c_str(), R"("code":"not_found")"));
    Response wrong = router.dispatch({"DELETE", "/api/v1/readings/latest/", ""});
    assert_int_equal(wrong.status, 405);
    assert_non_null(std::strstr(wrong.body.c_str(), R"("code":"method_not_allowed")"));
    assert_int_equal(wrong.headers.size(), 1);
    assert_text_equal(wrong.headers[0].first, "Allow");
    assert_text_equal(wrong.headers[0].second, "GET, POST");
    assert_text_equal(router.route_of({"GET", "/nope", ""}), "unmatched");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(trailing_slash_is_optional),
        cmocka_unit_test(methods_are_routed_and_head_follows_get),
        cmocka_unit_test(unknown_path_is_404_and_wrong_method_405_with_allow),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
