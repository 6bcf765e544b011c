// The sidecar's static files (http.web_dir, docs/dashboard.md) and the presence history the
// dashboard's device view reads, against the real stack. The web folder is a fixture this test
// fills (SARANG_TEST_WEB_DIR, the http.web_dir of its stack), with a secret beside it, symlinks
// out of it and hidden files in it, none of which may ever be served.
#include "api_session.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "sarang/pg.hpp"
#include "stack_env.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const char* const csp_start = "default-src 'self'; script-src 'self';";

fs::path web_dir() {
    const char* dir = std::getenv("SARANG_TEST_WEB_DIR");
    assert_non_null(dir);
    return dir;
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// The fixture: a page, a hashed bundle, a nested stylesheet; and what must stay hidden.
void make_site() {
    fs::path dir = web_dir();
    // The sidecar holds the folder open since its start: empty it, never replace it.
    for (const fs::directory_entry& entry : fs::directory_iterator(dir))
        fs::remove_all(entry.path());
    fs::remove(dir.parent_path() / "outside-secret.txt");
    write_file(dir / "index.html", "<!doctype html><title>fixture</title>");
    write_file(dir / "main-ABCD2345.js", "console.log('bundle');");
    write_file(dir / "assets" / "site-QWER7890.css", "body{}");
    write_file(dir / ".env", "SECRET=1");
    write_file(dir / "sarang.conf", "auth.pepper = x");
    write_file(dir.parent_path() / "outside-secret.txt", "OUTSIDE-CONTENT");
    fs::create_symlink(dir.parent_path() / "outside-secret.txt", dir / "linked.txt");
    fs::create_symlink(dir / "index.html", dir / "inner-link.html");
    fs::create_directory_symlink(dir.parent_path(), dir / "up");
}

HttpResult get(const std::string& path, const std::string& method = "GET") {
    return http_request(stack_env().http_port, method, path);
}

void assert_plain_404(const std::string& path) {
    HttpResult result = get(path);
    if (result.status != 404)
        fail_msg("%s answered %d: %s", path.c_str(), result.status, result.body.c_str());
    assert_non_null(strstr(result.body.c_str(), "\"not_found\""));
    assert_null(strstr(result.body.c_str(), "OUTSIDE-CONTENT"));
    assert_null(strstr(result.body.c_str(), "SECRET"));
}

void the_page_and_bundles_have_their_types_cache_rules_and_policy(void**) {
    make_site();
    HttpResult page = get("/");
    assert_int_equal(page.status, 200);
    assert_text_equal(page.body, "<!doctype html><title>fixture</title>");
    assert_text_equal(page.header("content-type"), "text/html; charset=utf-8");
    assert_text_equal(page.header("cache-control"), "no-cache");
    assert_true(page.header("content-security-policy").starts_with(csp_start));
    assert_text_equal(page.header("x-content-type-options"), "nosniff");
    assert_text_equal(get("/index.html").body, page.body);

    HttpResult bundle = get("/main-ABCD2345.js");
    assert_int_equal(bundle.status, 200);
    assert_text_equal(bundle.header("content-type"), "text/javascript; charset=utf-8");
    assert_text_equal(bundle.header("cache-control"), "public, max-age=31536000, immutable");
    HttpResult nested = get("/assets/site-QWER7890.css");
    assert_int_equal(nested.status, 200);
    assert_text_equal(nested.header("content-type"), "text/css; charset=utf-8");

    HttpResult head = get("/main-ABCD2345.js", "HEAD");
    assert_int_equal(head.status, 200);
    assert_text_equal(head.body, "");
}

void traversal_symlinks_hidden_files_and_folders_are_never_served(void**) {
    make_site();
    for (const char* path :
         {"/../outside-secret.txt", "/%2e%2e/outside-secret.txt",
          "/assets/..%2f..%2foutside-secret.txt", "/linked.txt", "/inner-link.html",
          "/up/outside-secret.txt", "/.env", "/sarang.conf", "/assets", "/assets/", "//index.html",
          "/assets%2fsite-QWER7890.css/..", "/missing.js"})
        assert_plain_404(path);
}

void api_routes_keep_priority_and_answer_json(void**) {
    make_site();
    HttpResult health = get("/healthz");
    assert_int_equal(health.status, 200);
    assert_text_equal(health.header("content-type"), "application/json");
    HttpResult unknown = get("/api/v1/no-such-thing");
    assert_int_equal(unknown.status, 404);
    assert_text_equal(unknown.header("content-type"), "application/json");
    assert_text_equal(unknown.header("cache-control"), "no-store");
    // Only GET and HEAD reach the files.
    HttpResult posted = http_request(stack_env().http_port, "POST", "/index.html", "{}");
    assert_int_equal(posted.status, 404);
    assert_non_null(strstr(posted.body.c_str(), "\"not_found\""));
}

long long presence_count(const std::string& id, const std::string& token) {
    HttpResult page = api_get("/api/v1/devices/" + id + "/presence", token);
    assert_int_equal(page.status, 200);
    return json_integer_field(page.body, "count");
}

void presence_history_lists_connections_newest_first_to_the_owner_only(void**) {
    AppAccount owner = create_account(unique_id("web-own"));
    AppAccount stranger = create_account(unique_id("web-str"));
    std::string id = unique_id("pi");
    std::string password = create_device(id, "hydro-sensor", "--owner " + owner.username);
    long long before = presence_count(id, owner.token); // create_device's own probes
    {
        MqttClient device(id, 5);
        assert_int_equal(device.connect(stack_env().mqtt_port, id, password), 0);
    } // disconnects
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (presence_count(id, owner.token) < before + 2 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    assert_true(presence_count(id, owner.token) >= before + 2);

    HttpResult page = api_get("/api/v1/devices/" + id + "/presence?page_size=1", owner.token);
    assert_int_equal(page.status, 200);
    assert_non_null(strstr(page.body.c_str(), "\"online\":false"));
    assert_non_null(strstr(page.body.c_str(), "\"node\""));
    assert_non_null(strstr(page.body.c_str(), "\"next\":\"/api/v1/devices/"));

    assert_int_equal(api_get("/api/v1/devices/" + id + "/presence", stranger.token).status, 404);
    assert_int_equal(
        http_request(stack_env().http_port, "GET", "/api/v1/devices/" + id + "/presence").status,
        401);
    assert_int_equal(api_get("/api/v1/devices/" + id + "/presence?page_size=0", owner.token).status,
                     422);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(the_page_and_bundles_have_their_types_cache_rules_and_policy),
        cmocka_unit_test(traversal_symlinks_hidden_files_and_folders_are_never_served),
        cmocka_unit_test(api_routes_keep_priority_and_answer_json),
        cmocka_unit_test(presence_history_lists_connections_newest_first_to_the_owner_only),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
