// sarangctl payments set-key [--file PATH]: the Midtrans server key that signs payment
// notifications (docs/vending.md). Read from the file or stdin, never argv (shell history, ps).
// It goes into the sarang.conf this command was given, replaced atomically (a rename in the
// same folder, the old file's mode and owner kept); sarang-httpd reads it again on its next
// notification, so no restart. The key is kept in plain text like the pepper: verifying
// SHA512(order_id + status_code + gross_amount + key) needs the key itself.
#include "command.hpp"
#include "sarang/log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace sarang::ctl {
namespace {

constexpr const char* key_name = "vending.midtrans_server_key";

// Midtrans keys are "SB-Mid-server-..." (sandbox) or "Mid-server-..."; anything 8-200
// characters of these fits in a sarang.conf line and a log-free shell line.
bool valid_key(const std::string& key) {
    if (key.size() < 8 || key.size() > 200)
        return false;
    for (char c : key) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  std::strchr("-_.:+/=", c) != nullptr;
        if (!ok)
            return false;
    }
    return true;
}

// Echo off while a person types the key at a terminal.
class HiddenInput {
  public:
    HiddenInput() {
        if (isatty(STDIN_FILENO) == 0 || tcgetattr(STDIN_FILENO, &saved_) != 0)
            return;
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        active_ = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
        std::fputs("Midtrans server key: ", stderr);
    }
    ~HiddenInput() {
        if (active_) {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
            std::fputs("\n", stderr);
        }
    }
    HiddenInput(const HiddenInput&) = delete;
    HiddenInput& operator=(const HiddenInput&) = delete;

  private:
    termios saved_{};
    bool active_ = false;
};

std::string first_line(std::istream& in) {
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
    std::size_t start = line.find_first_not_of(" \t");
    return start == std::string::npos ? "" : line.substr(start);
}

std::string read_key(const Args& args) {
    if (std::optional<std::string> path = args.get("file")) {
        std::ifstream file(*path);
        if (!file)
            throw UsageError("cannot read " + *path);
        return first_line(file);
    }
    HiddenInput hidden;
    return first_line(std::cin);
}

bool sets_key(const std::string& line) {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, std::strlen(key_name), key_name) != 0)
        return false;
    std::size_t after = line.find_first_not_of(" \t", start + std::strlen(key_name));
    return after != std::string::npos && line[after] == '=';
}

// The file's text with exactly one line setting the key.
std::string with_key(const std::string& text, const std::string& key) {
    std::istringstream lines(text);
    std::string line, out;
    bool written = false;
    while (std::getline(lines, line)) {
        if (sets_key(line)) {
            if (written)
                continue;
            line = std::string(key_name) + " = " + key;
            written = true;
        }
        out += line + "\n";
    }
    if (!written)
        out += std::string(key_name) + " = " + key + "\n";
    return out;
}

void replace_file(const std::string& given, const std::string& text) {
    // A symlinked sarang.conf stays a symlink: the file it names is the one replaced.
    std::unique_ptr<char, decltype(&std::free)> resolved(realpath(given.c_str(), nullptr),
                                                         &std::free);
    if (!resolved)
        throw std::runtime_error("cannot resolve " + given + ": " + std::strerror(errno));
    const std::string path = resolved.get();
    struct stat info {};
    if (stat(path.c_str(), &info) != 0)
        throw std::runtime_error("cannot stat " + path + ": " + std::strerror(errno));
    std::string temporary = path + ".XXXXXX";
    int fd = mkstemp(temporary.data());
    if (fd < 0)
        throw std::runtime_error("cannot write beside " + path + ": " + std::strerror(errno));
    bool ok = fchmod(fd, info.st_mode & 07777) == 0;
    // Root keeps the file's group (mosquitto reads it); others cannot and need not.
    if (ok && (info.st_uid != geteuid() || info.st_gid != getegid()))
        ok = fchown(fd, info.st_uid, info.st_gid) == 0 || geteuid() != 0;
    for (std::size_t done = 0; ok && done < text.size();) {
        ssize_t wrote = write(fd, text.data() + done, text.size() - done);
        ok = wrote > 0;
        done += wrote > 0 ? static_cast<std::size_t>(wrote) : 0;
    }
    ok = ok && fsync(fd) == 0;
    int saved_errno = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(temporary.c_str(), path.c_str()) != 0) {
        saved_errno = saved_errno != 0 ? saved_errno : errno;
        unlink(temporary.c_str());
        throw std::runtime_error("cannot replace " + path + ": " + std::strerror(saved_errno));
    }
}

} // namespace

int payments_set_key(const Config&, const Args& args) {
    if (!args.positional.empty())
        throw UsageError("the key is read from stdin or --file, never from the command line");
    std::string key = read_key(args);
    if (!valid_key(key))
        throw UsageError("a server key is 8-200 characters of A-Z a-z 0-9 - _ . : + / =");
    std::ifstream file(args.config_path);
    if (!file)
        throw std::runtime_error("cannot read " + args.config_path);
    std::stringstream text;
    text << file.rdbuf();
    std::string updated = with_key(text.str(), key);
    // Refuse to write a file the servers would refuse to start with.
    Config::parse(updated, args.config_path, nullptr);
    replace_file(args.config_path, updated);
    LOG_INFO("audit", "sarangctl | payments set-key | %s", args.config_path.c_str());
    std::printf("payments: server key set in %s; sarang-httpd verifies notifications with it from "
                "the next one on (no restart)\n",
                args.config_path.c_str());
    if (std::getenv(Config::env_name(key_name).c_str()) != nullptr)
        std::fprintf(stderr, "sarangctl: warning: %s is set and overrides the file\n",
                     Config::env_name(key_name).c_str());
    return 0;
}

} // namespace sarang::ctl
