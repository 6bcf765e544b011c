#pragma once
// The HTTPS certificate and key, replaceable while the sidecar runs (docs/tls.md).
//
// libmicrohttpd 0.9.75 as Debian builds it is GnuTLS-based. It takes the certificate once at
// start (MHD_OPTION_HTTPS_MEM_CERT) or asks a callback at every handshake
// (MHD_OPTION_HTTPS_CERT_CALLBACK, a gnutls_certificate_retrieve_function2). The sidecar uses
// the callback: reload() swaps the certificate for new handshakes while open connections keep
// the TLS session they have, so SIGHUP renews the certificate without dropping anyone.
//
// GnuTLS does not copy what the callback returns and gives no signal when a session stops
// using it, so a replaced certificate stays in memory (a few KB per reload) until the process
// ends. The callback has no user pointer, so there is one TlsCredentials per process.
#include <gnutls/abstract.h> // gnutls_certificate_retrieve_function2
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sarang::http {

class TlsCredentials {
  public:
    // Loads the files; throws std::runtime_error naming the problem (unreadable, no
    // certificate, key not the certificate's, expired). Registers itself for the callback.
    TlsCredentials(std::string cert_file, std::string key_file);
    ~TlsCredentials();
    TlsCredentials(const TlsCredentials&) = delete;
    TlsCredentials& operator=(const TlsCredentials&) = delete;

    // Reads the files again. On any problem the current certificate stays and this throws.
    void reload();
    // The certificate's subject and expiry, for the log.
    std::string describe() const;

    // For MHD_OPTION_HTTPS_CERT_CALLBACK (a gnutls_certificate_retrieve_function2*).
    static gnutls_certificate_retrieve_function2* callback();

    struct Bundle;

  private:
    std::shared_ptr<const Bundle> load() const;
    std::string cert_file_;
    std::string key_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Bundle> current_;
    std::vector<std::shared_ptr<const Bundle>> retired_; // see above: never freed early
};

} // namespace sarang::http
