// Route-level access (issue #21 item 5, access.hpp): every route of sarang-httpd carries a rule,
// the router enforces it with the daemon's own authenticator before any handler runs, and
// docs/http-api.md's access table is exactly the route table's.
#include "auth/route_access.hpp"
#include "handlers/handlers.hpp"

#include <fstream>
#include <sstream>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::http;

namespace {

// The daemon's routes with its authenticator, as `sarang-httpd --list-routes` builds them: the
// pool never connects, so a route that reached the database would fail the test.
struct Daemon {
    DbPool pool{"", 0};
    Services services{pool, "", {}};
    Metrics metrics;
    StreamHub hub{"", {}};
    Router router;
    Daemon() {
        router.set_authenticator(authenticator(services));
        add_all_routes(router, services, metrics, hub);
    }
};

std::string concrete_path(const std::string& pattern) {
    std::string path;
    bool in_placeholder = false;
    for (char c : pattern) {
        if (c == '{') {
            in_placeholder = true;
            path += "x1";
        } else if (c == '}') {
            in_placeholder = false;
        } else if (!in_placeholder) {
            path += c;
        }
    }
    return path;
}

void every_route_has_a_rule_that_says_enough(void**) {
    Daemon daemon;
    assert_true(daemon.router.routes().size() > 80);
    for (const Route& route : daemon.router.routes()) {
        const Access& access = route.access;
        if (access.kind() == AccessKind::anyone || access.kind() == AccessKind::admin) {
            if (access.note().empty())
                fail_msg("%s %s: an anyone or admin rule must say why or what a refusal says",
                         route.method.c_str(), route.pattern.c_str());
        }
        if (access.kind() == AccessKind::device_owner &&
            route.pattern.find("{id}") == std::string::npos)
            fail_msg("%s %s: an owner rule needs {id}", route.method.c_str(),
                     route.pattern.c_str());
    }
}

// No credential: every guarded route answers 401 from the router, before its handler (which
// would need the database this test does not have).
void dispatch_refuses_every_guarded_route_without_a_credential(void**) {
    Daemon daemon;
    int guarded = 0;
    for (const Route& route : daemon.router.routes()) {
        if (route.access.kind() == AccessKind::anyone)
            continue;
        ++guarded;
        Request request;
        request.method = route.method;
        request.path = concrete_path(route.pattern);
        request.body = "{}";
        Response answer = daemon.router.dispatch(request);
        if (answer.status != 401 ||
            answer.body.find(R"("code":"unauthorized")") == std::string::npos)
            fail_msg("%s %s without a credential: %d %s", route.method.c_str(),
                     route.pattern.c_str(), answer.status, answer.body.c_str());
        // A device credential's header is no session, and a session's no device credential;
        // neither reaches a handler without the database (a live one is checked there).
    }
    assert_true(guarded > 70);
}

std::string generated_block(const std::string& doc) {
    const std::string begin = "<!-- access-table:begin";
    const std::string end = "<!-- access-table:end -->";
    std::size_t from = doc.find(begin);
    std::size_t to = doc.find(end);
    if (from == std::string::npos || to == std::string::npos || to < from)
        return "(no access-table markers)";
    from = doc.find('\n', from) + 1;
    return doc.substr(from, to - from);
}

void the_documented_access_table_is_the_route_table(void**) {
    Daemon daemon;
    std::ifstream file(SARANG_DOCS_DIR "/http-api.md");
    std::stringstream text;
    text << file.rdbuf();
    std::string documented = generated_block(text.str());
    std::string served = access_table(daemon.router);
    if (documented != served)
        fail_msg("docs/http-api.md's access table differs from the route table. Regenerate the "
                 "block between the access-table markers with `sarang-httpd --print-access`.\n"
                 "route table:\n%s",
                 served.c_str());
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(every_route_has_a_rule_that_says_enough),
        cmocka_unit_test(dispatch_refuses_every_guarded_route_without_a_credential),
        cmocka_unit_test(the_documented_access_table_is_the_route_table),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
