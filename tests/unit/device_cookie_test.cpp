// Device cookie tokens (http-sidecar/src/auth/device_cookie_token.hpp).
#include "auth/device_cookie_token.hpp"

#include "cmocka.hpp"

using namespace sarang::http;

namespace {

const std::string key = device_cookie_key("pepper-for-tests");

void an_issued_token_verifies_and_names_its_user(void**) {
    DeviceCookie issued;
    std::string token = issue_device_cookie(key, 42, &issued);
    std::optional<DeviceCookie> cookie = verify_device_cookie(key, token);
    assert_true(cookie.has_value());
    assert_int_equal(cookie->user_id, 42);
    assert_text_equal(cookie->nonce, issued.nonce);
    assert_int_equal(issued.nonce.size(), 64);
    // Two logins, two nonces.
    assert_text_equal(token.substr(0, 3), "42.");
    assert_true(issue_device_cookie(key, 42, nullptr) != token);
}

void altered_or_foreign_tokens_are_refused(void**) {
    std::string token = issue_device_cookie(key, 42, nullptr);
    // Another key (another installation's pepper).
    assert_false(verify_device_cookie(device_cookie_key("other"), token).has_value());
    // Another user with the same nonce and signature.
    assert_false(verify_device_cookie(key, "43" + token.substr(2)).has_value());
    // Any changed character.
    for (std::size_t at : {std::size_t{3}, std::size_t{40}, token.size() - 1}) {
        std::string changed = token;
        changed[at] = changed[at] == 'a' ? 'b' : 'a';
        assert_false(verify_device_cookie(key, changed).has_value());
    }
    for (const char* bad :
         {"", ".", "42", "42..", "042.x.y", "-1.a.b", "99999999999999999999.aa.bb"})
        assert_false(verify_device_cookie(key, bad).has_value());
    std::string upper = token;
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    assert_false(verify_device_cookie(key, upper).has_value());
}

void cookies_are_found_in_a_cookie_header(void**) {
    assert_text_equal(*cookie_value("sarang_device=abc", "sarang_device"), "abc");
    assert_text_equal(*cookie_value("a=1; sarang_device=abc; b=2", "sarang_device"), "abc");
    assert_false(cookie_value("a=1; xsarang_device=abc", "sarang_device").has_value());
    assert_false(cookie_value("", "sarang_device").has_value());
    assert_false(cookie_value(";;", "sarang_device").has_value());
    std::string header = device_cookie_header_value("t", 60, true);
    assert_non_null(std::strstr(header.c_str(), "HttpOnly"));
    assert_non_null(std::strstr(header.c_str(), "; Secure"));
    assert_null(std::strstr(device_cookie_header_value("t", 60, false).c_str(), "Secure"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(an_issued_token_verifies_and_names_its_user),
        cmocka_unit_test(altered_or_foreign_tokens_are_refused),
        cmocka_unit_test(cookies_are_found_in_a_cookie_header),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
