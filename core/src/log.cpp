#include "sarang/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace sarang::log {
namespace {
std::atomic<int> current_level{static_cast<int>(Level::info)};

const char* level_name(Level level) {
    switch (level) {
    case Level::debug:
        return "debug";
    case Level::info:
        return "info";
    case Level::warning:
        return "warning";
    case Level::error:
        return "error";
    }
    return "?";
}
} // namespace

void set_level(Level level) {
    current_level.store(static_cast<int>(level));
}

bool set_level(std::string_view name) {
    for (Level level : {Level::debug, Level::info, Level::warning, Level::error}) {
        if (name == level_name(level)) {
            set_level(level);
            return true;
        }
    }
    return false;
}

bool enabled(Level level) {
    return static_cast<int>(level) >= current_level.load();
}

void write(Level level, const char* component, const char* format, ...) {
    char line[2048];
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    int used = std::snprintf(line, sizeof line,
                             "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", utc.tm_year + 1900,
                             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                             now.tv_nsec / 1000000, level_name(level), component);
    va_list args;
    va_start(args, format);
    int body = std::vsnprintf(line + used, sizeof line - used - 1, format, args);
    va_end(args);
    size_t length = used + (body < 0 ? 0 : static_cast<size_t>(body));
    if (length > sizeof line - 2)
        length = sizeof line - 2; // truncated: keep one line per call
    line[length++] = '\n';
    // One write() per line keeps lines from different threads whole.
    ssize_t ignored = ::write(STDERR_FILENO, line, length);
    (void)ignored;
}

} // namespace sarang::log
