#pragma once
// The rows every ingest tool writes: hydro-sensor readings {"ph":..,"tds":..,"ts":..} whose
// device timestamp "ts" (epoch ms) is unique and increasing per device, so each message is two
// rows of readings(device_id, metric, at, value) that no other message of the run shares.
// A run starts at --ts-start and prints next_ts; the next run starts there, so runs against the
// same table never collide and each one's rows are exactly those with at in [start, next).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::bench {

struct Credential {
    std::string id;
    std::string password;
};

// "id password" per line.
inline std::vector<Credential> read_credentials(const char* path) {
    std::vector<Credential> out;
    std::ifstream file(path);
    for (Credential c; file >> c.id >> c.password;)
        out.push_back(c);
    return out;
}

inline std::int64_t epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A default start that the broker accepts as the device's own time (at most seven days old)
// and that leaves room for runs that count faster than the clock.
inline std::int64_t default_ts_start() {
    return epoch_ms() - 3LL * 24 * 3600 * 1000;
}

// The values of message k of a device: in range for the hydro-sensor kind.
inline double ph_of(std::uint64_t k) {
    return 5.0 + static_cast<double>(k % 30) / 10.0;
}
inline double tds_of(std::uint64_t k) {
    return 400.0 + static_cast<double>(k % 500);
}

// JSON payload; `extra` is appended inside the object (e.g. ,"sent":123).
inline std::string reading_payload(std::uint64_t k, std::int64_t ts, std::string_view extra = {}) {
    char text[128];
    int n = std::snprintf(text, sizeof text, R"({"ph":%.1f,"tds":%.0f,"ts":%lld)", ph_of(k),
                          tds_of(k), static_cast<long long>(ts));
    std::string out(text, static_cast<size_t>(n));
    out += extra;
    out += '}';
    return out;
}

// "2026-11-20 10:30:00.123+00": COPY text for timestamptz.
inline std::string timestamp_text(std::int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(ms % 1000));
    return text;
}

// The number after "name": in a flat JSON object; false when absent.
inline bool number_field(std::string_view json, std::string_view name, double& out) {
    std::string key = "\"" + std::string(name) + "\":";
    size_t at = json.find(key);
    if (at == std::string_view::npos)
        return false;
    std::string rest(json.substr(at + key.size(), 32));
    char* end = nullptr;
    out = std::strtod(rest.c_str(), &end);
    return end != rest.c_str();
}

// SQL for "rows of the run": at in [$1, $2) epoch ms.
inline constexpr const char* count_rows_sql =
    "SELECT count(*) FROM readings WHERE at >= timestamptz 'epoch' + $1::bigint * interval '1 "
    "millisecond' AND at < timestamptz 'epoch' + $2::bigint * interval '1 millisecond'";

} // namespace sarang::bench
