#include "http_error.hpp"
#include "router.hpp"

#include <stdexcept>
#include <type_traits>

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
    router.add("GET", "/api/v1/readings/latest/", Access::anyone("test"), [](const Request&) {
        Response response;
        response.body = "latest";
        return response;
    });
    router.add("POST", "/api/v1/readings/latest/", Access::anyone("test"),
               [](const Request& request) {
                   Response response;
                   response.status = 201;
                   response.body = request.body;
                   return response;
               });
    router.add(
        "GET", "/api/v1/devices/{id}/commands/{command}", Access::anyone("test"),
        [](const Request& request) {
            Response response;
            response.body = *request.param("id") + "+" + *request.param("command");
            return response;
        },
        Lane::slow);
    router.add("GET", "/api/v1/devices/{id}", Access::anyone("test"), [](const Request& request) {
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

// A route cannot be registered without an access rule: these would not compile.
template <typename R>
concept adds_without_a_rule = requires(R router, Handler handler) {
    router.add("GET", "/x", handler);
};
template <typename R>
concept uploads_without_a_rule = requires(R router, Handler handler) {
    router.add_upload("POST", "/x", handler, std::size_t{1});
};
template <typename R>
concept adds_with_a_rule = requires(R router, Handler handler) {
    router.add("GET", "/x", Access::user(), handler);
};
static_assert(adds_with_a_rule<Router>); // the probe itself is well-formed
static_assert(!adds_without_a_rule<Router>);
static_assert(!uploads_without_a_rule<Router>);
static_assert(!std::is_default_constructible_v<Access>);

// A route whose rule is not met never runs its handler: the authenticator's refusal is the
// answer.
Router guarded_router(int& runs) {
    Router router;
    Handler counted = [&runs](const Request& request) {
        ++runs;
        Response response;
        response.body = request.user_caller ? request.user().username : "nobody";
        return response;
    };
    router.add("GET", "/open", Access::anyone("test"), counted);
    router.add("GET", "/mine", Access::user(), counted);
    router.add("GET", "/admin", Access::admin("only admins here"), counted);
    router.add("GET", "/devices/{id}", Access::device_owner(), counted);
    return router;
}

// Stands in for the daemon's: a session is "Authorization: Bearer alice" or "... root".
void fake_authenticator(const Access& access, Request& request) {
    const std::string* token = request.header("authorization");
    if (token == nullptr)
        throw HttpError(401, "unauthorized", "sign in first");
    UserCaller user;
    user.username = token->substr(7);
    user.role = user.username == "root" ? "admin" : "user";
    if (access.kind() == AccessKind::admin && !user.admin())
        throw HttpError(403, "forbidden", access.note());
    if (access.kind() == AccessKind::device_owner && *request.param("id") != user.username)
        throw HttpError(404, "not_found", "no such device");
    request.user_caller = user;
}

Request signed_in(const char* path, const char* who) {
    Request made = request("GET", path);
    if (who != nullptr)
        made.headers["authorization"] = std::string("Bearer ") + who;
    return made;
}

void dispatch_refuses_a_request_without_the_required_caller(void**) {
    int runs = 0;
    Router router = guarded_router(runs);
    router.set_authenticator(fake_authenticator);
    assert_text_equal(router.dispatch(signed_in("/open", nullptr)).body, "nobody");
    assert_int_equal(runs, 1);
    for (const char* path : {"/mine", "/admin", "/devices/alice"})
        assert_int_equal(router.dispatch(signed_in(path, nullptr)).status, 401);
    Response refused = router.dispatch(signed_in("/admin", "alice"));
    assert_int_equal(refused.status, 403);
    assert_non_null(std::strstr(refused.body.c_str(), "only admins here"));
    assert_int_equal(router.dispatch(signed_in("/devices/bob", "alice")).status, 404);
    assert_int_equal(runs, 1);
    assert_text_equal(router.dispatch(signed_in("/mine", "alice")).body, "alice");
    assert_text_equal(router.dispatch(signed_in("/admin", "root")).body, "root");
    assert_text_equal(router.dispatch(signed_in("/devices/alice", "alice")).body, "alice");
    assert_int_equal(runs, 4);
}

// A daemon that forgot its authenticator fails closed: a guarded route never runs.
void without_an_authenticator_only_open_routes_run(void**) {
    int runs = 0;
    Router router = guarded_router(runs);
    assert_text_equal(router.dispatch(signed_in("/open", nullptr)).body, "nobody");
    bool refused = false;
    try {
        router.dispatch(signed_in("/mine", "alice"));
    } catch (const std::logic_error&) {
        refused = true;
    }
    assert_true(refused);
    assert_int_equal(runs, 1);
}

// Upload routes: the rule is checked before the body, and Route::admit sees the caller.
void admit_checks_the_rule_before_the_route_s_own_check(void**) {
    Router router;
    router.set_authenticator(fake_authenticator);
    std::string admitted;
    router.add_upload(
        "POST", "/up/{id}", Access::device_owner(), [](const Request&) { return Response{}; }, 1024,
        [&admitted](const Request& request) {
            admitted = request.user().username;
            return std::make_shared<int>(1); // an admission, held by the server
        });
    Router::Match match = router.match("POST", "/up/alice");
    assert_non_null(match.route);
    bool refused = false;
    try {
        router.admit(*match.route, signed_in("/up/alice", nullptr), match.params);
    } catch (const HttpError& error) {
        refused = error.response().status == 401;
    }
    assert_true(refused);
    assert_true(admitted.empty());
    Admission admission = router.admit(*match.route, signed_in("/up/alice", "alice"), match.params);
    assert_text_equal(admitted, "alice");
    assert_non_null(admission.get()); // the route's admission reaches the server
}

void a_caller_the_rule_does_not_provide_is_a_programming_error(void**) {
    Request made = request("GET", "/");
    bool thrown = false;
    try {
        (void)made.user();
    } catch (const std::logic_error&) {
        thrown = true;
    }
    assert_true(thrown);
}

void the_access_table_has_a_row_per_route(void**) {
    int runs = 0;
    Router router = guarded_router(runs);
    std::string table = access_table(router);
    assert_non_null(std::strstr(table.c_str(), "| `GET /open` | anyone (test) |\n"));
    assert_non_null(std::strstr(table.c_str(), "| `GET /admin` | a full session of an admin |\n"));
    assert_non_null(std::strstr(
        table.c_str(), "| `GET /devices/{id}` | a full session; the owner of device `{id}`"));
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
        cmocka_unit_test(dispatch_refuses_a_request_without_the_required_caller),
        cmocka_unit_test(without_an_authenticator_only_open_routes_run),
        cmocka_unit_test(admit_checks_the_rule_before_the_route_s_own_check),
        cmocka_unit_test(a_caller_the_rule_does_not_provide_is_a_programming_error),
        cmocka_unit_test(the_access_table_has_a_row_per_route),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
