#include "tls_credentials.hpp"
#include "sarang/files.hpp"

#include "sarang/log.hpp"
#include "sarang/x509.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <sstream>
#include <stdexcept>

namespace sarang::http {

struct TlsCredentials::Bundle {
    std::vector<gnutls_pcert_st> chain;
    gnutls_privkey_t key = nullptr;
    std::string description;

    Bundle() = default;
    Bundle(const Bundle&) = delete;
    Bundle& operator=(const Bundle&) = delete;
    ~Bundle() {
        for (gnutls_pcert_st& certificate : chain)
            gnutls_pcert_deinit(&certificate);
        if (key != nullptr)
            gnutls_privkey_deinit(key);
    }
};

namespace {

std::atomic<TlsCredentials*> registered{nullptr};
// Written under TlsCredentials::mutex_, read by the callback under the same mutex.
std::mutex* callback_mutex = nullptr;
const TlsCredentials::Bundle* callback_bundle = nullptr;

gnutls_datum_t datum(const std::string& text) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
            static_cast<unsigned int>(text.size())};
}

std::string utc_date(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
    return text;
}

// Runs on a libmicrohttpd polling thread during each TLS handshake; must not throw.
int retrieve(gnutls_session_t, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
             gnutls_pcert_st** chain, unsigned int* chain_length, gnutls_privkey_t* key) {
    if (callback_mutex == nullptr)
        return -1;
    std::lock_guard lock(*callback_mutex);
    if (callback_bundle == nullptr)
        return -1;
    *chain = const_cast<gnutls_pcert_st*>(callback_bundle->chain.data());
    *chain_length = static_cast<unsigned int>(callback_bundle->chain.size());
    *key = callback_bundle->key;
    return 0;
}

} // namespace

TlsCredentials::TlsCredentials(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {
    TlsCredentials* none = nullptr;
    if (!registered.compare_exchange_strong(none, this))
        throw std::logic_error("one TlsCredentials per process");
    try {
        current_ = load();
    } catch (...) {
        registered.store(nullptr);
        throw;
    }
    std::lock_guard lock(mutex_);
    callback_mutex = &mutex_;
    callback_bundle = current_.get();
}

TlsCredentials::~TlsCredentials() {
    {
        std::lock_guard lock(mutex_);
        callback_bundle = nullptr;
    }
    callback_mutex = nullptr;
    registered.store(nullptr);
}

std::shared_ptr<const TlsCredentials::Bundle> TlsCredentials::load() const {
    std::string cert_pem = read_file(cert_file_);
    std::string key_pem = read_file(key_file_);
    // Checked with the same code as `sarangctl tls install`, for messages an operator can act
    // on; GnuTLS then parses the same text for the server.
    std::vector<x509::Certificate> chain = x509::certificates_from_pem(cert_pem);
    x509::Key key = x509::private_key_from_pem(key_pem);
    if (!x509::key_matches(chain.front().get(), key.get()))
        throw std::runtime_error(key_file_ + " is not the key of " + cert_file_);
    auto expires = x509::not_after(chain.front().get());
    if (expires <= std::chrono::system_clock::now())
        throw std::runtime_error(cert_file_ + " expired on " + utc_date(expires));

    auto bundle = std::make_shared<Bundle>();
    unsigned int count = static_cast<unsigned int>(chain.size());
    bundle->chain.resize(count);
    gnutls_datum_t cert_datum = datum(cert_pem);
    int rc = gnutls_pcert_list_import_x509_raw(bundle->chain.data(), &count, &cert_datum,
                                               GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        bundle->chain.clear();
        throw std::runtime_error(cert_file_ + ": " + gnutls_strerror(rc));
    }
    bundle->chain.resize(count);
    if ((rc = gnutls_privkey_init(&bundle->key)) < 0)
        throw std::runtime_error(std::string("gnutls_privkey_init: ") + gnutls_strerror(rc));
    gnutls_datum_t key_datum = datum(key_pem);
    rc = gnutls_privkey_import_x509_raw(bundle->key, &key_datum, GNUTLS_X509_FMT_PEM, nullptr, 0);
    if (rc < 0)
        throw std::runtime_error(key_file_ + ": " + gnutls_strerror(rc));
    bundle->description = x509::subject_common_name(chain.front().get()) + ", expires " +
                          utc_date(expires) + ", SHA-256 " +
                          x509::fingerprint_sha256(chain.front().get());
    return bundle;
}

void TlsCredentials::reload() {
    std::shared_ptr<const Bundle> fresh = load();
    std::lock_guard lock(mutex_);
    retired_.push_back(std::move(current_));
    current_ = std::move(fresh);
    callback_bundle = current_.get();
}

std::string TlsCredentials::describe() const {
    std::lock_guard lock(mutex_);
    return current_->description;
}

gnutls_certificate_retrieve_function2* TlsCredentials::callback() {
    return &retrieve;
}

} // namespace sarang::http
