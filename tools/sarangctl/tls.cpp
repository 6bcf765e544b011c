// sarangctl tls init | install: the server certificate of mosquitto's TLS listener and of
// sarang-httpd's HTTPS (docs/tls.md).
//
// init makes a private CA and a server certificate signed by it, for a first install or a
// network without a public name; clients trust ca.crt. install takes a certificate from
// elsewhere (an ACME client, a company CA). Both write every file atomically (a temporary file
// in the same folder, fsync, rename) so a broker or sidecar reloading at the same moment reads
// the old file or the new one, never half of one. Private keys are never world-readable:
// server.key is 0640 (group sarang: mosquitto and sarang-httpd read it), ca.key 0600 (nobody
// but the operator needs it).
#include "command.hpp"
#include "sarang/files.hpp"
#include "sarang/x509.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sarang::ctl {
namespace {

constexpr const char* default_dir = "/etc/sarang/tls";
constexpr long default_server_days = 825; // the longest validity Apple platforms accept
constexpr long ca_days = 3650;
constexpr auto soon = std::chrono::hours(24 * 30);

bool exists(const std::string& path) {
    struct stat info {};
    return lstat(path.c_str(), &info) == 0;
}

// A file the admin named: one that cannot be read is a usage error.
std::string read_given_file(const std::string& path) {
    try {
        return read_file(path);
    } catch (const std::runtime_error& error) {
        throw UsageError(error.what());
    }
}

void ensure_dir(const std::string& dir) {
    for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
        std::string part = dir.substr(0, slash);
        if (mkdir(part.c_str(), 0750) != 0 && errno != EEXIST)
            throw std::runtime_error("cannot create " + part + ": " + std::strerror(errno));
        if (slash == std::string::npos)
            return;
    }
}

// The sarang group, when it exists and we may hand files to it (root at install time).
gid_t service_group() {
    if (geteuid() != 0)
        return static_cast<gid_t>(-1);
    const group* found = getgrnam("sarang");
    return found ? found->gr_gid : static_cast<gid_t>(-1);
}

// A file written next to its final name and renamed over it.
class PendingFile {
  public:
    PendingFile(const std::string& path, const std::string& content, mode_t mode)
        : path_(path), temporary_(path + ".tmp-XXXXXX") {
        int fd = mkstemp(temporary_.data());
        if (fd < 0)
            throw std::runtime_error("cannot create a file next to " + path + ": " +
                                     std::strerror(errno));
        bool ok = fchmod(fd, mode) == 0;
        if (gid_t group = service_group(); ok && group != static_cast<gid_t>(-1))
            ok = fchown(fd, static_cast<uid_t>(-1), group) == 0;
        std::size_t written = 0;
        while (ok && written < content.size()) {
            ssize_t n = write(fd, content.data() + written, content.size() - written);
            if (n < 0 && errno == EINTR)
                continue;
            ok = n > 0;
            if (ok)
                written += static_cast<std::size_t>(n);
        }
        ok = ok && fsync(fd) == 0;
        int saved = errno;
        close(fd);
        if (!ok) {
            unlink(temporary_.c_str());
            throw std::runtime_error("cannot write " + path + ": " + std::strerror(saved));
        }
    }
    ~PendingFile() {
        if (!committed_)
            unlink(temporary_.c_str());
    }
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;

    void commit() {
        if (rename(temporary_.c_str(), path_.c_str()) != 0)
            throw std::runtime_error("cannot rename to " + path_ + ": " + std::strerror(errno));
        committed_ = true;
    }

  private:
    std::string path_;
    std::string temporary_;
    bool committed_ = false;
};

void sync_dir(const std::string& dir) {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

std::string parent_dir(const std::string& path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// (path, content, mode). All files are written before any is renamed: a failure leaves the old
// set in place.
void write_all(const std::vector<std::tuple<std::string, std::string, mode_t>>& files) {
    std::vector<std::unique_ptr<PendingFile>> pending;
    for (const auto& [path, content, mode] : files) {
        ensure_dir(parent_dir(path));
        pending.push_back(std::make_unique<PendingFile>(path, content, mode));
    }
    for (auto& file : pending)
        file->commit();
    for (const auto& file : files)
        sync_dir(parent_dir(std::get<0>(file)));
}

long days_option(const Args& args, long fallback) {
    if (!args.get("days"))
        return fallback;
    long days = args.whole_number("days");
    if (days < 1 || days > 36500)
        throw UsageError("--days must be 1 to 36500");
    return days;
}

x509::ServerNames server_names(const Args& args) {
    x509::ServerNames names;
    if (auto found = args.repeated.find("hostname"); found != args.repeated.end())
        names.dns = found->second;
    if (auto found = args.repeated.find("ip"); found != args.repeated.end())
        names.addresses = found->second;
    if (names.dns.empty() && names.addresses.empty()) {
        // Without names: this machine as it calls itself, and loopback.
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' &&
            std::strcmp(host, "localhost") != 0)
            names.dns.push_back(host);
        names.dns.push_back("localhost");
        names.addresses = {"127.0.0.1", "::1"};
    }
    return names;
}

std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words)
        text += (text.empty() ? "" : ", ") + word;
    return text;
}

void print_reload_hint() {
    std::printf(
        "Reload without dropping connections: send SIGHUP to mosquitto and to sarang-httpd\n"
        "(systemctl reload mosquitto sarang-httpd). docs/tls.md says more.\n");
}

} // namespace

std::string tls_dir(const Config& config, const Args& args) {
    if (std::optional<std::string> dir = args.get("dir"))
        return *dir;
    // The folder of the configured certificate, so init and install write what the sidecar
    // reads.
    if (std::string cert = config.string("http.tls_cert_file"); !cert.empty()) {
        std::size_t slash = cert.rfind('/');
        if (slash != std::string::npos)
            return slash == 0 ? "/" : cert.substr(0, slash);
    }
    return default_dir;
}

int tls_init(const Config& config, const Args& args) {
    std::string dir = tls_dir(config, args);
    long days = days_option(args, default_server_days);
    x509::ServerNames names = server_names(args);
    const char* files[] = {"ca.crt", "ca.key", "server.crt", "server.key"};
    if (!args.flag("force")) {
        for (const char* name : files) {
            if (exists(dir + "/" + name)) {
                std::fprintf(stderr,
                             "sarangctl: %s/%s exists; nothing written. `tls init --force` "
                             "replaces the CA and the server certificate (every client must "
                             "then trust the new ca.crt).\n",
                             dir.c_str(), name);
                return 1;
            }
        }
    }
    x509::Authority ca = x509::make_authority("Sarang private CA", x509::Validity::days(ca_days));
    x509::Key server_key = x509::generate_key();
    x509::Certificate server =
        x509::issue_server(ca, server_key.get(), names, x509::Validity::days(days));
    write_all({{dir + "/ca.crt", x509::to_pem(ca.certificate.get()), 0644},
               {dir + "/ca.key", x509::private_key_pem(ca.key.get()), 0600},
               {dir + "/server.crt", x509::to_pem(server.get()), 0644},
               {dir + "/server.key", x509::private_key_pem(server_key.get()), 0640}});
    std::printf("Wrote %s/{ca.crt,ca.key,server.crt,server.key}\n", dir.c_str());
    std::printf("Server certificate for: %s (valid %ld days)\n",
                join([&] {
                    std::vector<std::string> all = names.dns;
                    all.insert(all.end(), names.addresses.begin(), names.addresses.end());
                    return all;
                }())
                    .c_str(),
                days);
    std::printf("CA fingerprint (SHA-256): %s\n",
                x509::fingerprint_sha256(ca.certificate.get()).c_str());
    std::printf("Clients trust %s/ca.crt (mosquitto_pub --cafile, curl --cacert); compare the\n"
                "fingerprint when you copy it to them.\n",
                dir.c_str());
    return 0;
}

int tls_install(const Config& config, const Args& args) {
    // The files sarang-httpd reads (http.tls_cert_file, tls_key_file), else DIR/server.*.
    std::string cert_path = config.string("http.tls_cert_file");
    std::string key_path = config.string("http.tls_key_file");
    if (args.get("dir") || cert_path.empty() || key_path.empty()) {
        std::string dir = tls_dir(config, args);
        cert_path = dir + "/server.crt";
        key_path = dir + "/server.key";
    }
    std::string cert_pem = read_given_file(args.require("cert"));
    std::string key_pem = read_given_file(args.require("key"));
    std::vector<x509::Certificate> chain = x509::certificates_from_pem(cert_pem);
    if (std::optional<std::string> chain_file = args.get("chain")) {
        for (x509::Certificate& more : x509::certificates_from_pem(read_given_file(*chain_file)))
            chain.push_back(std::move(more));
    }
    x509::Key key = x509::private_key_from_pem(key_pem);
    const X509* leaf = chain.front().get();
    if (!x509::key_matches(leaf, key.get()))
        throw std::runtime_error("the key does not belong to the certificate (its first one)");
    auto now = std::chrono::system_clock::now();
    if (x509::not_after(leaf) <= now)
        throw std::runtime_error("the certificate has expired");
    if (x509::not_before(leaf) > now + std::chrono::minutes(5))
        throw std::runtime_error("the certificate is not valid yet (check this machine's clock)");
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        if (!x509::issued_by(chain[i].get(), chain[i + 1].get()))
            throw std::runtime_error("certificate " + std::to_string(i + 2) +
                                     " in the chain did not issue certificate " +
                                     std::to_string(i + 1) +
                                     " (give the chain leaf first, then its issuers)");
    }
    std::string full_chain;
    for (const x509::Certificate& certificate : chain)
        full_chain += x509::to_pem(certificate.get());
    write_all({{key_path, x509::private_key_pem(key.get()), 0640}, {cert_path, full_chain, 0644}});
    auto days_left =
        std::chrono::duration_cast<std::chrono::hours>(x509::not_after(leaf) - now).count() / 24;
    std::printf("Installed %s (%s, %zu certificate(s), %ld days left) and %s\n", cert_path.c_str(),
                x509::subject_common_name(leaf).c_str(), chain.size(), static_cast<long>(days_left),
                key_path.c_str());
    if (x509::not_after(leaf) - now < soon)
        std::printf("Warning: it expires in less than 30 days.\n");
    std::printf("Fingerprint (SHA-256): %s\n", x509::fingerprint_sha256(leaf).c_str());
    print_reload_hint();
    return 0;
}

} // namespace sarang::ctl
