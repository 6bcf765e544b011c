// Device certificates (issue #19 item 3; docs/identity-and-acl.md "Device certificates"):
//   tls device-ca init        makes the device CA (DIR/device-ca.crt, DIR/device-ca.key)
//   devices cert ID --csr F   signs a device's CSR; the private key never leaves the device
//   devices cert ID --generate --out-dir D   key + certificate made here (tests, bench setups)
//   devices cert-revoke ID [--fingerprint F]
// An issued certificate is stored by its SHA-256 fingerprint (sql/0020_device_certificates.sql)
// and works once every live broker node has it (the same barrier as a new password).
#include "command.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/files.hpp"
#include "sarang/log.hpp"
#include "sarang/x509.hpp"
#include "utc_text.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sarang::ctl {
namespace {

constexpr const char* ca_certificate_file = "device-ca.crt";
constexpr const char* ca_key_file = "device-ca.key";

using Clock = std::chrono::system_clock;

std::string read_input(const std::string& path, const char* what) {
    try {
        return read_file(path, 64 * 1024);
    } catch (const std::runtime_error& error) {
        throw std::runtime_error(std::string(what) + ": " + error.what());
    }
}

// Created fresh (never overwritten unless `replace`), with `mode` from the start, so a key is
// never readable by others even for a moment.
void write_file(const std::string& path, const std::string& text, mode_t mode, bool replace) {
    int flags = O_WRONLY | O_CREAT | (replace ? O_TRUNC : O_EXCL);
    int fd = ::open(path.c_str(), flags, mode);
    if (fd < 0)
        throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno) +
                                 (errno == EEXIST ? " (refusing to overwrite it)" : ""));
    std::size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = errno;
            ::close(fd);
            throw std::runtime_error("cannot write " + path + ": " + std::strerror(saved));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0)
        throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

x509::Authority load_ca(const std::string& dir) {
    std::string certificate = dir + "/" + ca_certificate_file;
    if (::access(certificate.c_str(), F_OK) != 0)
        throw std::runtime_error("no device CA in " + dir +
                                 ": create it once with `sarangctl tls device-ca init --dir " +
                                 dir +
                                 "` and give its device-ca.crt to the mTLS listener's cafile");
    x509::Authority ca{
        x509::certificate_from_pem(read_input(certificate, "the device CA certificate")),
        x509::private_key_from_pem(read_input(dir + "/" + ca_key_file, "the device CA key"))};
    if (!x509::key_matches(ca.certificate.get(), ca.key.get()))
        throw std::runtime_error(dir + "/" + ca_key_file + " is not the key of " + certificate);
    return ca;
}

std::string serial_hex(const X509* certificate) {
    std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
        ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr), BN_free);
    char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
    if (hex == nullptr)
        throw std::runtime_error("cannot read the certificate's serial number");
    std::string text(hex);
    OPENSSL_free(hex);
    return text;
}

// "AB:CD:..." (openssl x509 -fingerprint -sha256) or plain hex, any case -> 64 lowercase hex.
std::string normalized_fingerprint(const std::string& given) {
    std::string hex;
    for (char c : given) {
        if (c == ':')
            continue;
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            throw UsageError("--fingerprint must be the SHA-256 fingerprint in hex");
        hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (hex.size() != 64)
        throw UsageError("--fingerprint must be the SHA-256 fingerprint (64 hex digits)");
    return hex;
}

} // namespace

int tls_device_ca_init(const Config& config, const Args& args) {
    if (args.positional != std::vector<std::string>{"init"})
        throw UsageError("the only device-ca verb is init");
    std::string dir = tls_dir(config, args);
    long days = args.get("days") ? args.whole_number("days") : 3650;
    if (days < 1)
        throw UsageError("--days must be at least 1");
    bool replace = args.flag("force");
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
    x509::Authority ca = x509::make_authority("Sarang device CA", x509::Validity::days(days));
    // The key first: a certificate without its key would look like a usable CA.
    write_file(dir + "/" + ca_key_file, x509::private_key_pem(ca.key.get()), 0600, replace);
    write_file(dir + "/" + ca_certificate_file, x509::to_pem(ca.certificate.get()), 0644, replace);
    LOG_INFO("audit", "sarangctl | tls.device-ca.init | dir=%s", dir.c_str());
    std::printf("device CA written to %s/%s (key %s, mode 0600), valid until %s\n"
                "point the mTLS listener's cafile at %s/%s\n",
                dir.c_str(), ca_certificate_file, ca_key_file,
                utc_text(x509::not_after(ca.certificate.get())).c_str(), dir.c_str(),
                ca_certificate_file);
    return 0;
}

int devices_cert(const Config& config, const Args& args) {
    std::string id = args.device_id();
    if (!valid_device_id(id))
        throw UsageError("device id '" + id + "' must be 1-64 of A-Z a-z 0-9 _ -");
    bool generate = args.flag("generate");
    std::optional<std::string> csr_path = args.get("csr");
    if (generate == csr_path.has_value())
        throw UsageError("give exactly one of --csr FILE and --generate");
    if (generate && !args.get("out-dir"))
        throw UsageError("--generate needs --out-dir DIR (for ID.key and ID.crt)");
    long days = args.get("days") ? args.whole_number("days") : 365;
    if (days < 1 || days > 3650)
        throw UsageError("--days must be 1 to 3650");

    x509::Authority ca = load_ca(tls_dir(config, args));
    x509::Key key; // --generate only
    x509::Request request;
    if (generate) {
        key = x509::generate_key();
        request = x509::make_request(key.get(), id);
    } else {
        try {
            request = x509::request_from_pem(read_input(*csr_path, "CSR"));
        } catch (const x509::X509Error& error) {
            throw std::runtime_error(*csr_path +
                                     " is not a PEM certificate signing request (-----BEGIN "
                                     "CERTIFICATE REQUEST-----): " +
                                     error.what());
        }
    }

    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result device = db.exec("SELECT state FROM devices WHERE id = $1", {id});
    if (device.rows() == 0) {
        std::fprintf(stderr, "sarangctl: no device '%s'\n", id.c_str());
        return 1;
    }
    if (device.text(0, 0) == "revoked") {
        std::fprintf(stderr, "sarangctl: device '%s' is revoked\n", id.c_str());
        return 1;
    }
    // The CSR's own signature is checked (proof the requester holds the key); its subject and
    // extensions are ignored: CN = the device id, usage clientAuth.
    x509::Certificate certificate;
    try {
        certificate = x509::sign_csr(ca, request.get(), id, days);
    } catch (const x509::X509Error& error) {
        throw std::runtime_error(std::string("refusing to sign the CSR: ") + error.what());
    }
    std::string pem = x509::to_pem(certificate.get());
    std::string fingerprint = x509::fingerprint_sha256_hex(certificate.get());
    std::string serial = serial_hex(certificate.get());
    Clock::time_point expires = x509::not_after(certificate.get());
    if (generate) {
        std::string dir = *args.get("out-dir");
        write_file(dir + "/" + id + ".key", x509::private_key_pem(key.get()), 0600, false);
        write_file(dir + "/" + id + ".crt", pem, 0644, false);
    } else if (std::optional<std::string> out = args.get("out")) {
        write_file(*out, pem, 0644, false);
    }
    db.exec("INSERT INTO device_certificates (fingerprint, device_id, serial, not_after)"
            " VALUES (decode($1, 'hex'), $2, $3, to_timestamp($4::double precision))",
            {fingerprint, id, serial, std::to_string(Clock::to_time_t(expires))});
    LOG_INFO("audit", "sarangctl | devices.cert | id=%s fingerprint=%s", id.c_str(),
             fingerprint.c_str());
    bool live = brokers_have_it(db);
    if (!generate && !args.get("out"))
        std::fputs(pem.c_str(), stdout);
    std::fprintf(generate || args.get("out") ? stdout : stderr,
                 "certificate for %s: sha256 %s, serial %s, valid until %s\n", id.c_str(),
                 fingerprint.c_str(), serial.c_str(), utc_text(expires).c_str());
    return live ? 0 : brokers_lag_status;
}

int devices_cert_revoke(const Config& config, const Args& args) {
    std::string id = args.device_id();
    std::optional<std::string> fingerprint;
    if (std::optional<std::string> given = args.get("fingerprint"))
        fingerprint = normalized_fingerprint(*given);
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    pg::Result rows = fingerprint ? db.exec("UPDATE device_certificates SET revoked_at = now()"
                                            " WHERE device_id = $1 AND revoked_at IS NULL"
                                            " AND fingerprint = decode($2, 'hex')",
                                            {id, *fingerprint})
                                  : db.exec("UPDATE device_certificates SET revoked_at = now()"
                                            " WHERE device_id = $1 AND revoked_at IS NULL",
                                            {id});
    if (rows.affected() == 0) {
        std::fprintf(stderr, "sarangctl: device '%s' has no active certificate%s\n", id.c_str(),
                     fingerprint ? " with that fingerprint" : "");
        return 1;
    }
    LOG_INFO("audit", "sarangctl | devices.cert-revoke | id=%s count=%lld", id.c_str(),
             static_cast<long long>(rows.affected()));
    std::printf("%lld certificate(s) of %s revoked; connections made with them are disconnected\n",
                static_cast<long long>(rows.affected()), id.c_str());
    return 0;
}

} // namespace sarang::ctl
