// The telemetry writer's own CPU per message, without a broker or PostgreSQL: stage() and
// summary_columns() (plugins/telemetry/message_batch.cpp) over batches like bench/brokers.sh's
// traffic (DEVICES hydro probes, {"ph":..,"tds":..,"ts":..} each), best of ROUNDS.
//
//   sarang-stage-bench [DEVICES] [BATCH] [ROUNDS]      (defaults 100, 761 and 200)
#include "message_batch.hpp"
#include "readings.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace sarang::telemetry;
using sarang::TimePoint;
using sarang::bench::reading_payload;

int main(int argc, char** argv) {
    int devices = argc > 1 ? std::atoi(argv[1]) : 100;
    int batch_size = argc > 2 ? std::atoi(argv[2]) : 761;
    int rounds = argc > 3 ? std::atoi(argv[3]) : 200;
    if (devices < 1 || batch_size < 1 || rounds < 1) {
        std::fprintf(stderr, "usage: sarang-stage-bench [DEVICES] [BATCH] [ROUNDS]\n");
        return 2;
    }
    std::map<std::string, DeviceInfo> known;
    std::vector<RawMessage> batch;
    std::int64_t ts = 1796331192000;
    for (int i = 0; i < batch_size; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "bench-%04d", i % devices);
        known.emplace(id, DeviceInfo{"hydro-sensor", std::string("hydro/") + id});
        RawMessage message;
        message.sequence = static_cast<std::uint64_t>(i) + 1;
        message.device_id = id;
        message.topic = std::string("hydro/") + id + "/reading";
        message.payload = reading_payload(static_cast<std::uint64_t>(i), ts + i / devices);
        message.received_at = TimePoint(std::chrono::milliseconds(ts + i / devices));
        batch.push_back(std::move(message));
    }
    double best = 1e18;
    std::size_t rows = 0;
    for (int round = 0; round < rounds; ++round) {
        auto start = std::chrono::steady_clock::now();
        StagedBatch staged = stage(batch, known);
        SummaryColumns columns = summary_columns(staged);
        std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
        best = std::min(best, took.count());
        rows = staged.reading_rows + columns.rollup_device.size();
    }
    std::printf("stage: devices=%d batch=%d rounds=%d rows=%zu ns_per_message=%.0f\n", devices,
                batch_size, rounds, rows, best / batch_size);
    return 0;
}
