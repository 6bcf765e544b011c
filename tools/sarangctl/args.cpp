#include "command.hpp"

#include <algorithm>
#include <cstdlib>

namespace sarang::ctl {

bool Args::flag(const std::string& name) const {
    return std::find(flags.begin(), flags.end(), name) != flags.end();
}

std::optional<std::string> Args::get(const std::string& name) const {
    auto found = options.find(name);
    return found == options.end() ? std::nullopt : std::optional(found->second);
}

std::string Args::require(const std::string& name) const {
    std::optional<std::string> value = get(name);
    if (!value)
        throw UsageError("--" + name + " is required");
    return *value;
}

long Args::whole_number(const std::string& name) const {
    std::string text = require(name);
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < 0 || value > 10000000)
        throw UsageError("--" + name + " must be a whole number");
    return value;
}

std::string Args::device_id() const {
    if (positional.size() == 1 && !get("id"))
        return positional.front();
    if (positional.empty())
        return require("id");
    throw UsageError("give the device id once");
}

Args parse_args(const std::vector<std::string>& words,
                const std::vector<std::string>& boolean_flags,
                const std::vector<std::string>& repeatable) {
    Args args;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (!word.starts_with("--") || word.size() == 2) {
            args.positional.push_back(word);
            continue;
        }
        std::string name = word.substr(2);
        if (std::find(boolean_flags.begin(), boolean_flags.end(), name) != boolean_flags.end()) {
            args.flags.push_back(name);
            continue;
        }
        if (i + 1 >= words.size())
            throw UsageError("--" + name + " needs a value");
        if (std::find(repeatable.begin(), repeatable.end(), name) != repeatable.end()) {
            args.repeated[name].push_back(words[++i]);
            continue;
        }
        if (!args.options.emplace(name, words[++i]).second)
            throw UsageError("--" + name + " given twice");
    }
    return args;
}

} // namespace sarang::ctl
