#include "sarang/topic_rules.hpp"

namespace sarang {

std::string_view subtopic_under(std::string_view prefix, std::string_view topic) {
    if (prefix.empty() || topic.size() <= prefix.size() + 1 || !topic.starts_with(prefix) ||
        topic[prefix.size()] != '/')
        return {};
    return topic.substr(prefix.size() + 1);
}

bool device_may(const KindSpec& kind, std::string_view prefix, Access access,
                std::string_view topic) {
    if (access == Access::unsubscribe)
        return true;
    std::string_view subtopic = subtopic_under(prefix, topic);
    if (subtopic.empty())
        return false;
    const auto& allowed = access == Access::write ? kind.publishes : kind.subscribes;
    for (std::string_view candidate : allowed) {
        if (candidate == subtopic)
            return true;
    }
    return false;
}

} // namespace sarang
