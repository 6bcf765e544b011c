#include "time_text.hpp"

#include <cstdio>
#include <ctime>

namespace sarang::http {

std::string iso8601(std::chrono::system_clock::time_point at) {
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
    std::time_t seconds = static_cast<std::time_t>(millis.count() / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[96]; // room for any int the format could see
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis.count() % 1000));
    return text;
}

std::string iso8601_sql(const std::string& expression) {
    return "to_char(" + expression + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

std::string iso8601_micro(std::chrono::system_clock::time_point at) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch());
    auto within = micros.count() % 1'000'000;
    if (within < 0) // before 1970: floor, not truncate
        within += 1'000'000;
    std::time_t seconds = static_cast<std::time_t>((micros.count() - within) / 1'000'000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(within));
    return text;
}

std::string iso8601_micro_sql(const std::string& expression) {
    return "to_char(" + expression + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

std::string epoch_micros(std::chrono::system_clock::time_point at) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count());
}

std::string timestamptz_param(const std::string& placeholder) {
    return "(timestamptz 'epoch' + " + placeholder + "::bigint * interval '1 microsecond')";
}

} // namespace sarang::http
