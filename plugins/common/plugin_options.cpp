#include "plugin_support.hpp"
#include "sarang/worker.hpp"

#include <cstring>
#include <unistd.h>

namespace sarang::plugin {

std::optional<std::string> option(const mosquitto_opt* options, int count, const char* key) {
    for (int i = 0; i < count; ++i) {
        if (options[i].key != nullptr && std::strcmp(options[i].key, key) == 0)
            return std::string(options[i].value ? options[i].value : "");
    }
    return std::nullopt;
}

Config load_config(const mosquitto_opt* options, int count) {
    std::optional<std::string> path = option(options, count, "config");
    if (!path)
        throw ConfigError("plugin_opt_config is required (path to sarang.conf)");
    Config config = Config::load_file(*path);
    log::set_level(config.string("log.level"));
    // The node the workers' status rows are published under (worker_status).
    set_worker_node(node_name(config));
    return config;
}

std::string node_name(const Config& config) {
    std::string name = config.string("broker.node_name");
    if (!name.empty())
        return name;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        return "broker";
    return host;
}

} // namespace sarang::plugin
