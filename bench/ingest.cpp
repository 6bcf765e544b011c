// sarang-ingest: sustained QoS 1 ingest of hydro-sensor readings through a broker, optionally
// with a latency probe, and (with --dsn) the time until every acknowledged reading is in
// PostgreSQL.
//
//   sarang-ingest --port P --credentials FILE [--seconds 60] [--messages N] [--rate R]
//                 [--window 32] [--ts-start MS] [--probe "ID PASSWORD" --watch "USER PASSWORD"]
//                 [--dsn DSN] [--quiet 20]
//
// FILE: "device_id password" per line; one connection per device (client id = username = device
// id), each keeping --window QoS 1 PUBLISHes in flight (a new one per PUBACK), as fast as the
// broker acknowledges or, with --rate, at that many messages/s in total (token bucket). Stops
// after --seconds or --messages in total, then waits for the outstanding PUBACKs.
// Message k of a device is {"ph":..,"tds":..,"ts":TS_START+k}: two readings rows whose time no
// other message of this or any earlier run shares when runs chain --ts-start (see readings.hpp).
// --probe publishes one reading every 10 ms with its send time from a further connection and
// --watch subscribes to the probe's topic (QoS 1) and times publish -> delivery.
// --dsn polls count(*) of the run's rows until all 2 x acked are there or the count has not
// grown for --quiet seconds; rates are over first publish -> last row landed.
#include "bench_args.hpp"
#include "ingest_load.hpp"
#include "landing.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

using namespace sarang::bench;

namespace {

Credential pair(const char* text) {
    Credential out;
    if (text != nullptr)
        std::istringstream(text) >> out.id >> out.password;
    return out;
}

} // namespace

int main(int argc, char** argv) {
    LoadSettings s;
    s.port = std::atoi(argument(argc, argv, "--port", "1883"));
    const char* path = argument(argc, argv, "--credentials", nullptr);
    s.seconds = std::atof(argument(argc, argv, "--seconds", "60"));
    s.messages = std::strtoull(argument(argc, argv, "--messages", "0"), nullptr, 10);
    s.rate = std::atof(argument(argc, argv, "--rate", "0"));
    s.window = static_cast<unsigned>(std::atoi(argument(argc, argv, "--window", "32")));
    s.ts_start = std::atoll(argument(argc, argv, "--ts-start", "0"));
    s.probe = pair(argument(argc, argv, "--probe", nullptr));
    s.watcher = pair(argument(argc, argv, "--watch", nullptr));
    const char* dsn = argument(argc, argv, "--dsn", nullptr);
    int quiet = std::atoi(argument(argc, argv, "--quiet", "20"));
    if (path == nullptr || s.window == 0 || s.window > 65535 ||
        (!s.probe.id.empty() && s.watcher.id.empty())) {
        std::fprintf(stderr, "usage: sarang-ingest --port P --credentials FILE [--seconds S] "
                             "[--messages N] [--rate R] [--window W] [--ts-start MS] "
                             "[--probe 'ID PW' --watch 'USER PW'] [--dsn DSN] [--quiet S]\n");
        return 2;
    }
    s.devices = read_credentials(path);
    if (s.devices.empty()) {
        std::fprintf(stderr, "sarang-ingest: no credentials in %s\n", path);
        return 2;
    }
    if (s.ts_start == 0)
        s.ts_start = default_ts_start();

    LoadResult r = run_load(s);
    if (r.sent == 0)
        return 1;
    std::printf("ingest: devices=%zu sent=%llu acked=%llu seconds=%.2f rate=%.0f/s window=%u "
                "target=%.0f/s\n",
                s.devices.size(), static_cast<unsigned long long>(r.sent),
                static_cast<unsigned long long>(r.acked), r.seconds,
                r.seconds > 0 ? static_cast<double>(r.acked) / r.seconds : 0.0, s.window, s.rate);
    std::printf("ts: start=%lld next=%lld\n", static_cast<long long>(s.ts_start),
                static_cast<long long>(r.next_ts));
    if (!s.probe.id.empty())
        std::printf("latency: samples=%zu of %llu p50=%.2fms p99=%.2fms max=%.2fms\n",
                    r.latency_ms.size(), static_cast<unsigned long long>(r.probe_acked),
                    percentile(r.latency_ms, 0.5), percentile(r.latency_ms, 0.99),
                    percentile(r.latency_ms, 1.0));
    std::fflush(stdout);
    if (dsn != nullptr) {
        long long expected = 2 * static_cast<long long>(r.acked);
        Landing landed =
            wait_landed(dsn, s.ts_start, r.next_ts, expected, std::chrono::seconds(quiet));
        double seconds = std::chrono::duration<double>(landed.last_growth - r.started).count();
        std::printf("landed: rows=%lld expected=%lld lost=%lld extra=%lld seconds=%.2f "
                    "rows_per_s=%.0f messages_per_s=%.0f\n",
                    landed.rows, expected, std::max(0LL, expected - landed.rows),
                    std::max(0LL, landed.rows - expected), seconds, landed.rows / seconds,
                    landed.rows / 2 / seconds);
    }
    return r.ok ? 0 : 1;
}
