#pragma once
// One logger for plugins, sidecar and CLI: single lines on stderr, safe from any thread.
// Plugins log through this and not mosquitto_log_printf, because the latter is only safe on the
// broker thread (with log_dest topic it queues a $SYS message without locking).
#include <string_view>

namespace sarang::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level level);
// Accepts debug|info|warning|error; false leaves the level unchanged.
bool set_level(std::string_view name);
bool enabled(Level level);

// printf-style; the component names the process part ("access", "httpd", "sarangctl").
void write(Level level, const char* component, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

} // namespace sarang::log

#define SARANG_LOG(level, component, ...)                                                          \
    do {                                                                                           \
        if (::sarang::log::enabled(level))                                                         \
            ::sarang::log::write(level, component, __VA_ARGS__);                                   \
    } while (0)
#define LOG_DEBUG(component, ...) SARANG_LOG(::sarang::log::Level::debug, component, __VA_ARGS__)
#define LOG_INFO(component, ...) SARANG_LOG(::sarang::log::Level::info, component, __VA_ARGS__)
#define LOG_WARN(component, ...) SARANG_LOG(::sarang::log::Level::warning, component, __VA_ARGS__)
#define LOG_ERROR(component, ...) SARANG_LOG(::sarang::log::Level::error, component, __VA_ARGS__)
