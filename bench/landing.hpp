#pragma once
// Waits until a run's rows are in PostgreSQL: polls count(*) of readings with `at` in the run's
// range until the expected number is there, or the count has not grown for `quiet` (a writer
// that lost messages never gets there), or PostgreSQL stays unreachable that long. The time of
// the last growth is when the query that saw it started, so it is at most one poll late.
#include "readings.hpp"
#include "sarang/pg.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

namespace sarang::bench {

struct Landing {
    long long rows = 0;
    std::chrono::steady_clock::time_point last_growth; // when the count last grew
};

inline Landing wait_landed(const std::string& dsn, std::int64_t ts_from, std::int64_t ts_to,
                           long long expected, std::chrono::seconds quiet) {
    pg::Connection db(dsn, "sarang-bench-landing");
    Landing out;
    out.last_growth = std::chrono::steady_clock::now();
    for (;;) {
        // The count's snapshot is taken when the query starts: rows it sees landed before then.
        auto asked = std::chrono::steady_clock::now();
        try {
            long long rows =
                db.exec(count_rows_sql, {std::to_string(ts_from), std::to_string(ts_to)})
                    .integer(0, 0);
            if (rows > out.rows) {
                out.rows = rows;
                out.last_growth = asked;
            }
        } catch (const pg::Error&) {
            db.disconnect(); // PostgreSQL away: no growth, try again
        }
        auto now = std::chrono::steady_clock::now();
        if (out.rows >= expected || now - out.last_growth > quiet)
            return out;
        // Counting millions of rows takes PostgreSQL time the writer wants: poll at most a
        // quarter of the time, and at least once a second.
        std::this_thread::sleep_for(std::clamp<std::chrono::steady_clock::duration>(
            3 * (now - asked), std::chrono::milliseconds(100), std::chrono::seconds(1)));
    }
}

} // namespace sarang::bench
