#include "sarang/x509.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace std::chrono;

namespace {

// What a TLS client does: chain to the CA, then the name check (host or IP), at `when`.
bool verifies(const X509* leaf, const X509* ca, const char* host, const char* ip,
              int purpose = X509_PURPOSE_SSL_SERVER) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, const_cast<X509*>(ca));
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, const_cast<X509*>(leaf), nullptr);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context);
    X509_VERIFY_PARAM_set_purpose(param, purpose);
    if (host != nullptr)
        X509_VERIFY_PARAM_set1_host(param, host, 0);
    if (ip != nullptr)
        X509_VERIFY_PARAM_set1_ip_asc(param, ip);
    bool ok = X509_verify_cert(context) == 1;
    X509_STORE_CTX_free(context);
    X509_STORE_free(store);
    return ok;
}

void server_certificate_chains_to_its_ca_for_its_names_only(void**) {
    x509::Authority ca = x509::make_authority("Sarang test CA", x509::Validity::days(30));
    x509::Key key = x509::generate_key();
    x509::ServerNames names{{"localhost", "sarang.example"}, {"127.0.0.1", "::1"}};
    x509::Certificate server = x509::issue_server(ca, key.get(), names, x509::Validity::days(10));
    assert_true(x509::issued_by(server.get(), ca.certificate.get()));
    assert_true(x509::key_matches(server.get(), key.get()));
    assert_false(x509::key_matches(server.get(), ca.key.get()));
    assert_text_equal(x509::subject_common_name(server.get()), "localhost");
    assert_true(verifies(server.get(), ca.certificate.get(), "localhost", nullptr));
    assert_true(verifies(server.get(), ca.certificate.get(), "sarang.example", nullptr));
    assert_true(verifies(server.get(), ca.certificate.get(), nullptr, "127.0.0.1"));
    assert_true(verifies(server.get(), ca.certificate.get(), nullptr, "::1"));
    assert_false(verifies(server.get(), ca.certificate.get(), "other.example", nullptr));
    assert_false(verifies(server.get(), ca.certificate.get(), nullptr, "10.0.0.1"));
    // Not a client certificate, and another CA does not vouch for it.
    assert_false(
        verifies(server.get(), ca.certificate.get(), nullptr, nullptr, X509_PURPOSE_SSL_CLIENT));
    x509::Authority other = x509::make_authority("Other CA", x509::Validity::days(30));
    assert_false(verifies(server.get(), other.certificate.get(), "localhost", nullptr));
    assert_false(x509::issued_by(server.get(), other.certificate.get()));
}

void validity_is_what_was_asked(void**) {
    x509::Authority ca = x509::make_authority("CA", x509::Validity::days(30));
    auto now = system_clock::now();
    auto after = x509::not_after(ca.certificate.get());
    assert_true(after > now + hours(24 * 30) - minutes(1));
    assert_true(after < now + hours(24 * 30) + minutes(1));
    assert_true(x509::not_before(ca.certificate.get()) < now);
    // An expired certificate (the refusal tests need one) verifies nowhere.
    x509::Key key = x509::generate_key();
    x509::Certificate expired =
        x509::issue_server(ca, key.get(), {{"localhost"}, {}}, {-2 * 86400, -86400});
    assert_true(x509::not_after(expired.get()) < now);
    assert_false(verifies(expired.get(), ca.certificate.get(), "localhost", nullptr));
}

void bad_names_and_validities_are_refused(void**) {
    x509::Authority ca = x509::make_authority("CA", x509::Validity::days(1));
    x509::Key key = x509::generate_key();
    auto issue = [&](x509::ServerNames names) {
        try {
            x509::issue_server(ca, key.get(), names, x509::Validity::days(1));
            return true;
        } catch (const x509::X509Error&) {
            return false;
        }
    };
    assert_true(issue({{"*.example.org"}, {}}));
    assert_false(issue({{}, {}}));
    assert_false(issue({{"a,DNS:evil.example"}, {}}));
    assert_false(issue({{"bad..name"}, {}}));
    assert_false(issue({{"localhost"}, {"999.1.1.1"}}));
    assert_false(issue({{"localhost"}, {"localhost"}}));
    bool threw = false;
    try {
        x509::make_authority("CA", {100, 50});
    } catch (const x509::X509Error&) {
        threw = true;
    }
    assert_true(threw);
}

void csr_is_signed_as_a_client_certificate_with_our_subject(void**) {
    x509::Authority ca = x509::make_authority("Sarang device CA", x509::Validity::days(30));
    x509::Key device_key = x509::generate_key();
    x509::Request csr = x509::make_request(device_key.get(), "whatever-the-device-asked");
    // Through PEM, as it arrives from a device.
    x509::Request parsed = x509::request_from_pem(x509::to_pem(csr.get()));
    x509::Certificate issued = x509::sign_csr(ca, parsed.get(), "dev-42", 365L);
    assert_text_equal(x509::subject_common_name(issued.get()), "dev-42");
    assert_true(x509::key_matches(issued.get(), device_key.get()));
    assert_true(
        verifies(issued.get(), ca.certificate.get(), nullptr, nullptr, X509_PURPOSE_SSL_CLIENT));
    assert_false(
        verifies(issued.get(), ca.certificate.get(), nullptr, nullptr, X509_PURPOSE_SSL_SERVER));
    bool threw = false;
    try {
        x509::sign_csr(ca, parsed.get(), "dev-42", 0L);
    } catch (const x509::X509Error&) {
        threw = true;
    }
    assert_true(threw);
}

void tampered_csr_is_refused(void**) {
    x509::Authority ca = x509::make_authority("CA", x509::Validity::days(1));
    x509::Key device_key = x509::generate_key();
    x509::Key other_key = x509::generate_key();
    x509::Request csr = x509::make_request(device_key.get(), "dev");
    // Someone swaps in their own public key: the signature no longer verifies.
    X509_REQ_set_pubkey(csr.get(), other_key.get());
    bool threw = false;
    try {
        x509::sign_csr(ca, csr.get(), "dev", 1L);
    } catch (const x509::X509Error&) {
        threw = true;
    }
    assert_true(threw);
}

void pem_round_trips_and_fingerprints_are_stable(void**) {
    x509::Authority ca = x509::make_authority("CA", x509::Validity::days(1));
    std::string pem = x509::to_pem(ca.certificate.get());
    x509::Certificate again = x509::certificate_from_pem(pem);
    std::string hex = x509::fingerprint_sha256_hex(ca.certificate.get());
    assert_int_equal(hex.size(), 64);
    assert_text_equal(x509::fingerprint_sha256_hex(again.get()), hex);
    std::string colons = x509::fingerprint_sha256(again.get());
    assert_int_equal(colons.size(), 95);
    assert_int_equal(colons[2], ':');
    std::string first_byte = colons.substr(0, 2);
    for (char& c : first_byte)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    assert_text_equal(first_byte, hex.substr(0, 2));
    x509::Key key = x509::private_key_from_pem(x509::private_key_pem(ca.key.get()));
    assert_true(x509::key_matches(again.get(), key.get()));
    // A CA read back from its files; a server certificate is no CA, a foreign key no match.
    x509::Authority loaded = x509::authority_from_pem(pem, x509::private_key_pem(ca.key.get()));
    assert_true(x509::key_matches(loaded.certificate.get(), ca.key.get()));
    x509::Key server_key = x509::generate_key();
    x509::Certificate server =
        x509::issue_server(ca, server_key.get(), {{"localhost"}, {}}, x509::Validity::days(1));
    auto loads = [](const std::string& cert, const std::string& key_pem) {
        try {
            x509::authority_from_pem(cert, key_pem);
            return true;
        } catch (const x509::X509Error&) {
            return false;
        }
    };
    assert_false(loads(x509::to_pem(server.get()), x509::private_key_pem(server_key.get())));
    assert_false(loads(pem, x509::private_key_pem(server_key.get())));
    // A chain file: every certificate in order.
    x509::Authority second = x509::make_authority("Second", x509::Validity::days(1));
    auto chain = x509::certificates_from_pem(pem + x509::to_pem(second.certificate.get()));
    assert_int_equal(chain.size(), 2);
    assert_text_equal(x509::subject_common_name(chain[1].get()), "Second");
    // Garbage is an error, not a null handle.
    bool threw = false;
    try {
        x509::certificate_from_pem("-----BEGIN CERTIFICATE-----\nnope\n");
    } catch (const x509::X509Error&) {
        threw = true;
    }
    assert_true(threw);
    threw = false;
    try {
        x509::private_key_from_pem(pem);
    } catch (const x509::X509Error&) {
        threw = true;
    }
    assert_true(threw);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(server_certificate_chains_to_its_ca_for_its_names_only),
        cmocka_unit_test(validity_is_what_was_asked),
        cmocka_unit_test(bad_names_and_validities_are_refused),
        cmocka_unit_test(csr_is_signed_as_a_client_certificate_with_our_subject),
        cmocka_unit_test(tampered_csr_is_refused),
        cmocka_unit_test(pem_round_trips_and_fingerprints_are_stable),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
