// sarangctl devices create --name 'pi-{n}' --from 1 --to 99 --csv FILE: seed 003's fleet in one
// command, safe to run again.
//
// Devices of the range that exist are skipped (never re-keyed) unless --rotate; the others are
// created. Each new or rotated credential is appended to the CSV (created with mode 0600, or an
// existing one of ours that is 0600) and flushed to disk before its batch commits, so a secret
// is never in the database without being in the file. The database keeps only
// HMAC(auth.pepper, credential).
#include "command.hpp"
#include "sarang/credentials.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace sarang::ctl {
namespace {

constexpr std::size_t batch_size = 50;

class Progress {
  public:
    explicit Progress(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1) {}
    void advance(std::size_t done) {
        if (!tty_ || total_ == 0)
            return;
        constexpr int width = 40;
        int filled = static_cast<int>(done * width / total_);
        std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled,
                     "########################################", width - filled, "", done, total_);
        if (done == total_)
            std::fputc('\n', stderr);
        std::fflush(stderr);
    }

  private:
    std::size_t total_;
    bool tty_;
};

// The CSV, appended to. An existing file must be a regular file of ours, readable by us only.
class CredentialFile {
  public:
    explicit CredentialFile(const std::string& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd_ < 0)
            throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
        struct stat info {};
        if (fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != geteuid() ||
            (info.st_mode & 077) != 0) {
            ::close(fd_);
            throw std::runtime_error(path + " must be a regular file of yours with mode 0600 "
                                            "(it holds device secrets)");
        }
        if (info.st_size == 0)
            write("device_id,mqtt_username,mqtt_client_id,mqtt_password,topic_prefix\n");
    }
    ~CredentialFile() { ::close(fd_); }
    CredentialFile(const CredentialFile&) = delete;
    CredentialFile& operator=(const CredentialFile&) = delete;

    void write(const std::string& text) {
        for (std::size_t done = 0; done < text.size();) {
            ssize_t wrote = ::write(fd_, text.data() + done, text.size() - done);
            if (wrote < 0 && errno == EINTR)
                continue;
            if (wrote <= 0)
                throw std::runtime_error("writing " + path_ + ": " + std::strerror(errno));
            done += static_cast<std::size_t>(wrote);
        }
    }
    void sync() {
        if (fsync(fd_) != 0)
            throw std::runtime_error("syncing " + path_ + ": " + std::strerror(errno));
    }

  private:
    std::string path_;
    int fd_ = -1;
};

std::string expand(const std::string& pattern, long n) {
    std::string out = pattern;
    for (std::size_t at; (at = out.find("{n}")) != std::string::npos;)
        out.replace(at, 3, std::to_string(n));
    return out;
}

} // namespace

int devices_create_range(const Config& config, const Args& args) {
    std::string kind_name = args.require("kind");
    std::string pattern = args.require("name");
    std::string csv_path = args.require("csv");
    if (pattern.find("{n}") == std::string::npos)
        throw UsageError("--name must contain {n} when --from/--to are given (e.g. 'pi-{n}')");
    long from = args.whole_number("from");
    long to = args.whole_number("to");
    if (to < from || to - from >= 1000000)
        throw UsageError("--from .. --to must name 1 to 1,000,000 devices");
    const KindSpec* kind = find_kind(kind_name);
    if (kind == nullptr)
        throw UsageError("unknown kind '" + kind_name + "'");
    bool rotate = args.flag("rotate");
    std::vector<std::string> ids;
    for (long n = from; n <= to; ++n) {
        ids.push_back(expand(pattern, n));
        if (!valid_device_id(ids.back()))
            throw UsageError("device id '" + ids.back() + "' must be 1-64 of A-Z a-z 0-9 _ -");
    }

    std::string pepper = pepper_from_config(config);
    long grace = config.integer("access.rotation_grace_s");
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    // New devices of the range belong to --owner (seed 003's fleet for one user's dashboard);
    // existing ones keep theirs.
    std::optional<std::string> owner_id;
    if (std::optional<std::string> owner = args.get("owner")) {
        pg::Result user = db.exec("SELECT id FROM users WHERE username = $1", {*owner});
        if (user.rows() != 1)
            throw UsageError("no user named '" + *owner + "'");
        owner_id = std::string(user.text(0, 0));
    }
    std::set<std::string> existing;
    pg::Result found =
        db.exec("SELECT id FROM devices WHERE id = ANY($1::text[])", {pg::array_literal(ids)});
    for (int row = 0; row < found.rows(); ++row)
        existing.emplace(found.text(row, 0));

    CredentialFile csv(csv_path);
    Progress progress(ids.size());
    std::size_t created = 0, rotated = 0, skipped = 0, done = 0;
    for (std::size_t start = 0; start < ids.size(); start += batch_size) {
        std::size_t end = std::min(ids.size(), start + batch_size);
        pg::Transaction transaction(db);
        std::string rows;
        std::size_t batch_created = 0, batch_rotated = 0;
        for (std::size_t i = start; i < end; ++i) {
            const std::string& id = ids[i];
            bool exists = existing.contains(id);
            if (exists && !rotate) {
                ++skipped;
                continue;
            }
            IssuedCredential credential = issue_credential(pepper);
            std::string hash = crypto::hex_encode(credential.stored_hash);
            std::string prefix;
            if (exists) {
                pg::Result row = db.exec(
                    "UPDATE devices SET"
                    " previous_credential_hash = CASE WHEN $3::bigint > 0 THEN credential_hash END,"
                    " previous_credential_expires_at = CASE WHEN $3::bigint > 0"
                    "   THEN now() + make_interval(secs => $3::bigint) END,"
                    " credential_hash = decode($2, 'hex')"
                    " WHERE id = $1 AND state <> 'revoked' RETURNING topic_prefix",
                    {id, hash, std::to_string(grace)});
                if (row.rows() != 1) {
                    ++skipped; // revoked: stays revoked
                    continue;
                }
                prefix = row.text(0, 0);
                ++batch_rotated;
            } else {
                prefix = default_topic_prefix(*kind, id);
                db.exec("INSERT INTO devices (id, name, kind, topic_prefix, credential_hash,"
                        " registered_at, registered_via, owner_id)"
                        " VALUES ($1, $1, $2, $3, decode($4, 'hex'), now(), 'sarangctl', $5)",
                        {id, kind_name, prefix, hash, owner_id});
                ++batch_created;
            }
            rows += id + "," + id + "," + id + "," + credential.token + "," + prefix + "\n";
        }
        // The secrets reach the disk before the database accepts their hashes.
        csv.write(rows);
        csv.sync();
        transaction.commit();
        created += batch_created;
        rotated += batch_rotated;
        done = end;
        progress.advance(done);
    }
    LOG_INFO("audit",
             "sarangctl | devices.create | %s from %ld to %ld kind=%s created=%zu rotated=%zu "
             "skipped=%zu | credentials=%s",
             pattern.c_str(), from, to, kind_name.c_str(), created, rotated, skipped,
             csv_path.c_str());
    bool live = created + rotated == 0 || brokers_have_it(db);
    std::printf("created %zu, re-keyed %zu, skipped %zu already registered; new credentials "
                "appended to %s (shown nowhere else)\n",
                created, rotated, skipped, csv_path.c_str());
    return live ? 0 : brokers_lag_status;
}

} // namespace sarang::ctl
