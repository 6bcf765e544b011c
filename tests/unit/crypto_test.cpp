#include "sarang/credentials.hpp"
#include "sarang/crypto.hpp"

#include <set>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;

namespace {

void sha256_matches_known_vector(void**) {
    assert_text_equal(crypto::hex_encode(crypto::sha256("abc")),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

void hmac_matches_rfc4231_case_2(void**) {
    assert_text_equal(
        crypto::hex_encode(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

void hex_round_trips_and_rejects_garbage(void**) {
    const std::uint8_t bytes[] = {0x00, 0x7f, 0xff, 0x10};
    std::string hex = crypto::hex_encode(bytes, sizeof bytes);
    assert_text_equal(hex, "007fff10");
    assert_true(crypto::hex_decode(hex) == std::string("\x00\x7f\xff\x10", 4));
    assert_true(crypto::hex_decode("ABcd") == std::string("\xab\xcd", 2));
    assert_false(crypto::hex_decode("abc").has_value());
    assert_false(crypto::hex_decode("zz").has_value());
}

void base64url_matches_rfc4648_vectors(void**) {
    auto encode = [](const char* text) {
        return crypto::base64url_encode(reinterpret_cast<const std::uint8_t*>(text),
                                        std::strlen(text));
    };
    assert_text_equal(encode("f"), "Zg");
    assert_text_equal(encode("fo"), "Zm8");
    assert_text_equal(encode("foo"), "Zm9v");
    assert_text_equal(encode("foob"), "Zm9vYg");
    const std::uint8_t url_chars[] = {0xfb, 0xff};
    assert_text_equal(crypto::base64url_encode(url_chars, 2), "-_8");
}

void tokens_are_256_bit_and_distinct(void**) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        std::string token = crypto::random_token();
        assert_int_equal(token.size(), 43);
        assert_true(seen.insert(token).second);
    }
}

void constant_time_equal_compares_content_and_length(void**) {
    assert_true(crypto::constant_time_equal("secret", "secret"));
    assert_false(crypto::constant_time_equal("secret", "secreT"));
    assert_false(crypto::constant_time_equal("secret", "secret1"));
    assert_true(crypto::constant_time_equal("", ""));
}

void argon2id_verifies_only_the_right_secret(void**) {
    crypto::Argon2Params cheap{1, 1024, 1};
    std::string encoded = crypto::argon2id_hash("1234", cheap);
    assert_true(encoded.starts_with("$argon2id$"));
    assert_true(crypto::argon2id_verify(encoded, "1234"));
    assert_false(crypto::argon2id_verify(encoded, "1235"));
    assert_false(crypto::argon2id_verify("not an encoding", "1234"));
    assert_true(crypto::argon2id_hash("1234", cheap) != encoded); // salted
}

void credentials_match_only_their_token_and_pepper(void**) {
    std::string pepper(32, 'p');
    IssuedCredential issued = issue_credential(pepper);
    assert_true(credential_matches(pepper, issued.token, issued.stored_hash));
    assert_false(credential_matches(pepper, issued.token + "x", issued.stored_hash));
    assert_false(credential_matches(std::string(32, 'q'), issued.token, issued.stored_hash));
    assert_false(credential_matches(pepper, "", issued.stored_hash));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(sha256_matches_known_vector),
        cmocka_unit_test(hmac_matches_rfc4231_case_2),
        cmocka_unit_test(hex_round_trips_and_rejects_garbage),
        cmocka_unit_test(base64url_matches_rfc4648_vectors),
        cmocka_unit_test(tokens_are_256_bit_and_distinct),
        cmocka_unit_test(constant_time_equal_compares_content_and_length),
        cmocka_unit_test(argon2id_verifies_only_the_right_secret),
        cmocka_unit_test(credentials_match_only_their_token_and_pepper),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
