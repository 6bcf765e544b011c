// sarang-copy-baseline: the ceiling for ingest on this machine. One libpq connection COPYs the
// same rows sarang-ingest makes (readings.hpp: message k of a device is a ph and a tds row at
// TS_START+k) straight into readings, in batches of --batch rows, each its own transaction.
//
//   sarang-copy-baseline --dsn DSN --credentials FILE --rows N [--batch 1000] [--ts-start MS]
//
// FILE: "device_id password" per line (only the ids are used; they must exist in devices).
// Prints rows/s and next_ts for the next run against the same table.
#include "bench_args.hpp"
#include "readings.hpp"
#include "sarang/pg.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace sarang::bench;

int main(int argc, char** argv) {
    const char* dsn = argument(argc, argv, "--dsn", nullptr);
    const char* path = argument(argc, argv, "--credentials", nullptr);
    long long rows = std::atoll(argument(argc, argv, "--rows", "1000000"));
    long long batch = std::atoll(argument(argc, argv, "--batch", "1000"));
    std::int64_t ts_start = std::atoll(argument(argc, argv, "--ts-start", "0"));
    if (dsn == nullptr || path == nullptr || batch < 2 || rows < 2) {
        std::fprintf(stderr, "usage: sarang-copy-baseline --dsn DSN --credentials FILE --rows N "
                             "[--batch 1000] [--ts-start MS]\n");
        return 2;
    }
    std::vector<Credential> devices = read_credentials(path);
    if (devices.empty())
        return 2;
    if (ts_start == 0)
        ts_start = default_ts_start();
    sarang::pg::Connection db(dsn, "sarang-copy-baseline");
    db.ensure_connected();

    const char* copy = "COPY readings (device_id, metric, at, value) FROM STDIN";
    std::uint64_t messages = static_cast<std::uint64_t>(rows / 2);
    std::int64_t next_ts = ts_start;
    long long copied = 0, in_batch = 0;
    std::string data;
    auto started = std::chrono::steady_clock::now();
    for (std::uint64_t m = 0; m < messages; ++m) {
        const std::string& id = devices[m % devices.size()].id;
        std::uint64_t k = m / devices.size();
        std::int64_t ts = ts_start + static_cast<std::int64_t>(k);
        next_ts = std::max(next_ts, ts + 1);
        std::string at = timestamp_text(ts);
        char line[160];
        std::snprintf(line, sizeof line, "%s\tph\t%s\t%.1f\n%s\ttds\t%s\t%.0f\n", id.c_str(),
                      at.c_str(), ph_of(k), id.c_str(), at.c_str(), tds_of(k));
        data += line;
        in_batch += 2;
        if (in_batch >= batch || m + 1 == messages) {
            copied += db.copy_in(copy, data);
            data.clear();
            in_batch = 0;
        }
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("copy: rows=%lld batch=%lld seconds=%.2f rate=%.0f/s\n", copied, batch, seconds,
                copied / seconds);
    std::printf("ts: start=%lld next=%lld\n", static_cast<long long>(ts_start),
                static_cast<long long>(next_ts));
    return 0;
}
