#include "plugin_support.hpp"

#include <cstring>

namespace sarang::plugin {

std::optional<std::string> option(const mosquitto_opt* options, int count, const char* key) {
    for (int i = 0; i < count; ++i) {
        if (options[i].key != nullptr && std::strcmp(options[i].key, key) == 0)
            return std::string(options[i].value ? options[i].value : "");
    }
    return std::nullopt;
}

} // namespace sarang::plugin
