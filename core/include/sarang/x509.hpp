#pragma once
// X.509 with OpenSSL 3: a private CA, server certificates, signing a device's CSR, PEM in and
// out, fingerprints. Keys are EC P-256 and signatures ECDSA-SHA256: small, fast on an ESP32,
// accepted by mosquitto (OpenSSL), libmicrohttpd (GnuTLS) and every browser.
//
// Every OpenSSL handle is owned by a std::unique_ptr with its free function; nothing here
// hands out a pointer the caller must free. Failures throw X509Error with OpenSSL's reason.
#include <chrono>
#include <cstdint>
#include <memory>
#include <openssl/types.h>
#include <openssl/x509.h> // X509_REQ
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::x509 {

struct X509Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct FreeKey {
    void operator()(EVP_PKEY* key) const;
};
struct FreeCertificate {
    void operator()(X509* certificate) const;
};
struct FreeRequest {
    void operator()(X509_REQ* request) const;
};
struct FreeBio {
    void operator()(BIO* bio) const;
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Certificate = std::unique_ptr<X509, FreeCertificate>;
using Request = std::unique_ptr<X509_REQ, FreeRequest>;
using Bio = std::unique_ptr<BIO, FreeBio>;

// A certificate authority: its certificate and the key that signs with it.
struct Authority {
    Certificate certificate;
    Key key;
};

// When a certificate is valid, in seconds relative to now. Certificates start five minutes in
// the past so a peer whose clock is slightly behind still accepts a fresh one.
struct Validity {
    std::int64_t from_s = -300;
    std::int64_t to_s = 0;
    static Validity days(long count) { return {-300, static_cast<std::int64_t>(count) * 86400}; }
};

// The names a server certificate is valid for (subjectAltName).
struct ServerNames {
    std::vector<std::string> dns;       // host names; a leading "*." wildcard is allowed
    std::vector<std::string> addresses; // IPv4 or IPv6 literals
};

Key generate_key(); // EC P-256

// A self-signed CA (basicConstraints CA:TRUE, pathlen 0; keyCertSign, cRLSign).
Authority make_authority(std::string_view common_name, const Validity& validity);

// A TLS server certificate for `key`, signed by `ca`: serverAuth, the names as subjectAltName
// (clients check those, not the CN, which is the first name). Throws X509Error for a name that
// is not a host name or IP address, or when there is no name at all.
Certificate issue_server(const Authority& ca, const EVP_PKEY* key, const ServerNames& names,
                         const Validity& validity);

// A TLS client certificate from a certificate signing request: the CSR's signature must verify
// (proof the requester holds the private key), its public key is taken, everything else it
// asks for (subject, extensions) is ignored: the subject is CN=subject_cn, the usage
// clientAuth. The private key never leaves the requester.
Certificate sign_csr(const Authority& ca, const X509_REQ* csr, std::string_view subject_cn,
                     long days);
Certificate sign_csr(const Authority& ca, const X509_REQ* csr, std::string_view subject_cn,
                     const Validity& validity);

// A CSR for `key` with subject CN=common_name (the device side; --generate and tests).
Request make_request(const EVP_PKEY* key, std::string_view common_name);

// PEM. The readers throw X509Error when the text holds no such object.
std::string to_pem(const X509* certificate);
std::string to_pem(const X509_REQ* request);
std::string private_key_pem(const EVP_PKEY* key); // PKCS#8, unencrypted
Certificate certificate_from_pem(std::string_view pem);
std::vector<Certificate> certificates_from_pem(std::string_view pem); // every one, in order
Request request_from_pem(std::string_view pem);
Key private_key_from_pem(std::string_view pem);
// A CA from its files' text (ca.crt, ca.key); throws X509Error unless the key is the
// certificate's and the certificate may sign others (basicConstraints CA:TRUE).
Authority authority_from_pem(std::string_view certificate_pem, std::string_view key_pem);

// SHA-256 of the DER encoding: "AB:CD:..." (as `openssl x509 -fingerprint -sha256` prints it)
// and 64 lower-case hex digits (for storage and comparison).
std::string fingerprint_sha256(const X509* certificate);
std::string fingerprint_sha256_hex(const X509* certificate);

std::string subject_common_name(const X509* certificate); // "" when there is none
std::chrono::system_clock::time_point not_before(const X509* certificate);
std::chrono::system_clock::time_point not_after(const X509* certificate);
// The private key belongs to the certificate's public key.
bool key_matches(const X509* certificate, const EVP_PKEY* key);
// `certificate`'s signature verifies with `issuer`'s public key and its issuer name is
// issuer's subject.
bool issued_by(const X509* certificate, const X509* issuer);

} // namespace sarang::x509
