#include "sarang/x509.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstring>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sarang::x509 {

void FreeKey::operator()(EVP_PKEY* key) const {
    EVP_PKEY_free(key);
}
void FreeCertificate::operator()(X509* certificate) const {
    X509_free(certificate);
}
void FreeRequest::operator()(X509_REQ* request) const {
    X509_REQ_free(request);
}
void FreeBio::operator()(BIO* bio) const {
    BIO_free(bio);
}

namespace {

struct FreeExtension {
    void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
struct FreeNames {
    void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
struct FreeName {
    void operator()(GENERAL_NAME* name) const { GENERAL_NAME_free(name); }
};
struct FreeBignum {
    void operator()(BIGNUM* number) const { BN_free(number); }
};

// Throws with OpenSSL's queued reason (and clears the queue so it cannot leak into a later,
// unrelated error message).
[[noreturn]] void fail(const std::string& what) {
    std::string message = what;
    if (unsigned long code = ERR_get_error(); code != 0) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        message += ": ";
        message += reason;
    }
    ERR_clear_error();
    throw X509Error(message);
}

template <typename T> T checked(T value, const char* what) {
    if (!value)
        fail(what);
    return value;
}

Bio memory_bio(std::string_view text) {
    return Bio(checked(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), "BIO_new"));
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// The serial number: 159 random bits, positive and unique enough that no two certificates of
// one CA share it (RFC 5280 allows up to 20 octets).
void set_random_serial(X509* certificate) {
    unsigned char bytes[20];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        fail("RAND_bytes");
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // never zero, never leading-zero trimmed to something shorter
    std::unique_ptr<BIGNUM, FreeBignum> number(
        checked(BN_bin2bn(bytes, sizeof bytes, nullptr), "BN_bin2bn"));
    if (BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) == nullptr)
        fail("BN_to_ASN1_INTEGER");
}

void set_common_name(X509_NAME* name, std::string_view common_name) {
    if (common_name.empty() || common_name.size() > 64)
        throw X509Error("a common name has 1 to 64 characters");
    if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.data()),
                                   static_cast<int>(common_name.size()), -1, 0) != 1)
        fail("X509_NAME_add_entry_by_NID");
}

// An extension from OpenSSL's config syntax. Only fixed strings go through here; names from
// the user are built as GENERAL_NAMEs (add_alt_names) so a comma in one cannot add another.
void add_extension(X509* certificate, X509V3_CTX& context, int nid, const char* value) {
    std::unique_ptr<X509_EXTENSION, FreeExtension> extension(
        X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1)
        fail(std::string("extension ") + OBJ_nid2sn(nid));
}

bool valid_host_name(std::string_view name) {
    if (name.starts_with("*."))
        name.remove_prefix(2);
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.' ||
        name.front() == '-')
        return false;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
            return false;
    }
    return name.find("..") == std::string_view::npos;
}

void add_alt_names(X509* certificate, const ServerNames& names) {
    std::unique_ptr<GENERAL_NAMES, FreeNames> list(
        checked(GENERAL_NAMES_new(), "GENERAL_NAMES_new"));
    for (const std::string& dns : names.dns) {
        if (!valid_host_name(dns))
            throw X509Error("not a host name: '" + dns + "'");
        std::unique_ptr<GENERAL_NAME, FreeName> name(
            checked(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_DNS, dns.c_str(), 0),
                    "a2i_GENERAL_NAME"));
        if (sk_GENERAL_NAME_push(list.get(), name.get()) == 0)
            fail("sk_GENERAL_NAME_push");
        name.release();
    }
    for (const std::string& address : names.addresses) {
        unsigned char parsed[16];
        if (inet_pton(AF_INET, address.c_str(), parsed) != 1 &&
            inet_pton(AF_INET6, address.c_str(), parsed) != 1)
            throw X509Error("not an IP address: '" + address + "'");
        std::unique_ptr<GENERAL_NAME, FreeName> name(
            checked(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, address.c_str(), 0),
                    "a2i_GENERAL_NAME"));
        if (sk_GENERAL_NAME_push(list.get(), name.get()) == 0)
            fail("sk_GENERAL_NAME_push");
        name.release();
    }
    if (sk_GENERAL_NAME_num(list.get()) == 0)
        throw X509Error("a server certificate needs at least one host name or IP address");
    if (X509_add1_ext_i2d(certificate, NID_subject_alt_name, list.get(), 0, 0) != 1)
        fail("subjectAltName");
}

// A certificate with everything but the extensions and the signature.
Certificate new_certificate(EVP_PKEY* subject_key, std::string_view common_name,
                            const Validity& validity) {
    if (validity.to_s <= validity.from_s)
        throw X509Error("a certificate's validity must end after it starts");
    Certificate certificate(checked(X509_new(), "X509_new"));
    if (X509_set_version(certificate.get(), X509_VERSION_3) != 1)
        fail("X509_set_version");
    set_random_serial(certificate.get());
    if (X509_gmtime_adj(X509_getm_notBefore(certificate.get()), validity.from_s) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(certificate.get()), validity.to_s) == nullptr)
        fail("X509_gmtime_adj");
    set_common_name(X509_get_subject_name(certificate.get()), common_name);
    if (X509_set_pubkey(certificate.get(), subject_key) != 1)
        fail("X509_set_pubkey");
    return certificate;
}

void sign(X509* certificate, EVP_PKEY* key) {
    if (X509_sign(certificate, key, EVP_sha256()) == 0)
        fail("X509_sign");
}

// Extensions every issued (not self-signed) certificate carries.
void add_leaf_extensions(X509* certificate, const Authority& ca, const char* extended_usage) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, ca.certificate.get(), certificate, nullptr, nullptr, 0);
    add_extension(certificate, context, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(certificate, context, NID_key_usage, "critical,digitalSignature");
    add_extension(certificate, context, NID_ext_key_usage, extended_usage);
    add_extension(certificate, context, NID_subject_key_identifier, "hash");
    add_extension(certificate, context, NID_authority_key_identifier, "keyid:always");
}

void require_authority(const Authority& ca) {
    if (!ca.certificate || !ca.key)
        throw X509Error("no CA certificate or key");
    if (!key_matches(ca.certificate.get(), ca.key.get()))
        throw X509Error("the CA key does not belong to the CA certificate");
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
    struct tm parts {};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1)
        fail("ASN1_TIME_to_tm");
    return std::chrono::system_clock::from_time_t(timegm(&parts));
}

} // namespace

Key generate_key() {
    Key key(EVP_EC_gen("P-256"));
    if (!key)
        fail("EVP_EC_gen");
    return key;
}

Authority make_authority(std::string_view common_name, const Validity& validity) {
    Authority ca;
    ca.key = generate_key();
    ca.certificate = new_certificate(ca.key.get(), common_name, validity);
    X509* certificate = ca.certificate.get();
    if (X509_set_issuer_name(certificate, X509_get_subject_name(certificate)) != 1)
        fail("X509_set_issuer_name");
    X509V3_CTX context;
    X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
    add_extension(certificate, context, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(certificate, context, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(certificate, context, NID_subject_key_identifier, "hash");
    add_extension(certificate, context, NID_authority_key_identifier, "keyid:always");
    sign(certificate, ca.key.get());
    return ca;
}

Certificate issue_server(const Authority& ca, const EVP_PKEY* key, const ServerNames& names,
                         const Validity& validity) {
    require_authority(ca);
    std::string common_name = !names.dns.empty()         ? names.dns.front()
                              : !names.addresses.empty() ? names.addresses.front()
                                                         : std::string();
    if (common_name.empty())
        throw X509Error("a server certificate needs at least one host name or IP address");
    Certificate certificate = new_certificate(const_cast<EVP_PKEY*>(key), common_name, validity);
    if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca.certificate.get())) != 1)
        fail("X509_set_issuer_name");
    add_leaf_extensions(certificate.get(), ca, "serverAuth");
    add_alt_names(certificate.get(), names);
    sign(certificate.get(), ca.key.get());
    return certificate;
}

Certificate sign_csr(const Authority& ca, const X509_REQ* csr, std::string_view subject_cn,
                     const Validity& validity) {
    require_authority(ca);
    if (csr == nullptr)
        throw X509Error("no certificate signing request");
    auto* request = const_cast<X509_REQ*>(csr);
    EVP_PKEY* public_key = X509_REQ_get0_pubkey(request);
    if (public_key == nullptr)
        fail("the CSR has no public key");
    if (X509_REQ_verify(request, public_key) != 1)
        fail("the CSR's signature does not verify");
    Certificate certificate = new_certificate(public_key, subject_cn, validity);
    if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca.certificate.get())) != 1)
        fail("X509_set_issuer_name");
    add_leaf_extensions(certificate.get(), ca, "clientAuth");
    sign(certificate.get(), ca.key.get());
    return certificate;
}

Certificate sign_csr(const Authority& ca, const X509_REQ* csr, std::string_view subject_cn,
                     long days) {
    if (days < 1 || days > 36500)
        throw X509Error("days must be 1 to 36500");
    return sign_csr(ca, csr, subject_cn, Validity::days(days));
}

Request make_request(const EVP_PKEY* key, std::string_view common_name) {
    Request request(checked(X509_REQ_new(), "X509_REQ_new"));
    if (X509_REQ_set_version(request.get(), 0) != 1)
        fail("X509_REQ_set_version");
    set_common_name(X509_REQ_get_subject_name(request.get()), common_name);
    auto* mutable_key = const_cast<EVP_PKEY*>(key);
    if (X509_REQ_set_pubkey(request.get(), mutable_key) != 1)
        fail("X509_REQ_set_pubkey");
    if (X509_REQ_sign(request.get(), mutable_key, EVP_sha256()) == 0)
        fail("X509_REQ_sign");
    return request;
}

std::string to_pem(const X509* certificate) {
    Bio out(checked(BIO_new(BIO_s_mem()), "BIO_new"));
    if (PEM_write_bio_X509(out.get(), certificate) != 1)
        fail("PEM_write_bio_X509");
    return bio_text(out.get());
}

std::string to_pem(const X509_REQ* request) {
    Bio out(checked(BIO_new(BIO_s_mem()), "BIO_new"));
    if (PEM_write_bio_X509_REQ(out.get(), request) != 1)
        fail("PEM_write_bio_X509_REQ");
    return bio_text(out.get());
}

std::string private_key_pem(const EVP_PKEY* key) {
    Bio out(checked(BIO_new(BIO_s_mem()), "BIO_new"));
    if (PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("PEM_write_bio_PrivateKey");
    return bio_text(out.get());
}

Certificate certificate_from_pem(std::string_view pem) {
    Bio in = memory_bio(pem);
    Certificate certificate(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!certificate)
        fail("no PEM certificate");
    return certificate;
}

std::vector<Certificate> certificates_from_pem(std::string_view pem) {
    Bio in = memory_bio(pem);
    std::vector<Certificate> certificates;
    while (X509* next = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr))
        certificates.emplace_back(next);
    ERR_clear_error(); // the end of the text reads as a "no start line" error
    if (certificates.empty())
        throw X509Error("no PEM certificate");
    return certificates;
}

Request request_from_pem(std::string_view pem) {
    Bio in = memory_bio(pem);
    Request request(PEM_read_bio_X509_REQ(in.get(), nullptr, nullptr, nullptr));
    if (!request)
        fail("no PEM certificate signing request");
    return request;
}

Key private_key_from_pem(std::string_view pem) {
    Bio in = memory_bio(pem);
    // An encrypted key would prompt on the terminal without a callback; an empty password
    // makes it fail instead.
    static char empty[] = "";
    Key key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, empty));
    if (!key)
        fail("no unencrypted PEM private key");
    return key;
}

Authority authority_from_pem(std::string_view certificate_pem, std::string_view key_pem) {
    Authority ca{certificate_from_pem(certificate_pem), private_key_from_pem(key_pem)};
    require_authority(ca);
    if (X509_check_ca(ca.certificate.get()) == 0)
        throw X509Error("the certificate is not a CA certificate");
    return ca;
}

std::string fingerprint_sha256_hex(const X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1)
        fail("X509_digest");
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0x0f];
    }
    return hex;
}

std::string fingerprint_sha256(const X509* certificate) {
    std::string hex = fingerprint_sha256_hex(certificate);
    std::string colons;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        if (i > 0)
            colons += ':';
        colons += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
        colons += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i + 1])));
    }
    return colons;
}

std::string subject_common_name(const X509* certificate) {
    X509_NAME* name = X509_get_subject_name(certificate);
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0)
        return "";
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0)
        return "";
    std::string text(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return text;
}

std::chrono::system_clock::time_point not_before(const X509* certificate) {
    return to_time_point(X509_get0_notBefore(certificate));
}

std::chrono::system_clock::time_point not_after(const X509* certificate) {
    return to_time_point(X509_get0_notAfter(certificate));
}

bool key_matches(const X509* certificate, const EVP_PKEY* key) {
    bool matches = X509_check_private_key(certificate, key) == 1;
    ERR_clear_error();
    return matches;
}

bool issued_by(const X509* certificate, const X509* issuer) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
    bool issued =
        issuer_key != nullptr &&
        X509_NAME_cmp(X509_get_issuer_name(certificate), X509_get_subject_name(issuer)) == 0 &&
        X509_verify(const_cast<X509*>(certificate), issuer_key) == 1;
    ERR_clear_error();
    return issued;
}

} // namespace sarang::x509
