#include "sarang/topic_rules.hpp"

namespace sarang {

std::string_view subtopic_under(std::string_view prefix, std::string_view topic) {
    if (prefix.empty() || topic.size() <= prefix.size() + 1 || !topic.starts_with(prefix) ||
        topic[prefix.size()] != '/')
        return {};
    return topic.substr(prefix.size() + 1);
}

namespace {

// Splits off the first level; `rest` becomes what follows the '/', `more` whether there was one.
std::string_view next_level(std::string_view& rest, bool& more) {
    size_t slash = rest.find('/');
    std::string_view level = rest.substr(0, slash);
    more = slash != std::string_view::npos;
    rest = more ? rest.substr(slash + 1) : std::string_view{};
    return level;
}

} // namespace

bool filter_within(std::string_view filter, std::string_view permitted) {
    if (filter.empty() || permitted.empty())
        return false;
    // "$SYS/..." and the like are matched only by a filter that names their first level.
    bool permitted_wild_first = permitted.starts_with('+') || permitted.starts_with('#');
    if (filter.starts_with('$') && permitted_wild_first)
        return false;
    bool filter_more = true;
    bool permitted_more = true;
    while (permitted_more) {
        std::string_view allowed = next_level(permitted, permitted_more);
        if (allowed == "#")
            return true; // everything from here down, including the parent level
        if (!filter_more)
            return false; // the filter stops where the permitted space needs another level
        std::string_view wanted = next_level(filter, filter_more);
        if (wanted == "#")
            return false; // reaches any depth; only # covers that
        if (allowed == "+")
            continue; // + covers any single level, a literal or +
        if (wanted == "+" || wanted != allowed)
            return false;
    }
    return !filter_more;
}

bool integration_may(const std::vector<std::string>& filters, Access access,
                     std::string_view topic) {
    if (access == Access::unsubscribe)
        return true;
    if (access == Access::write)
        return false;
    std::string_view wanted = access == Access::subscribe ? without_share_prefix(topic) : topic;
    if (wanted.empty() || wanted.starts_with('$'))
        return false;
    if (access == Access::read && (wanted == "sarang" || wanted.starts_with("sarang/")))
        return false;
    for (const std::string& permitted : filters) {
        if (filter_within(wanted, permitted))
            return true;
    }
    return false;
}

bool admin_may(bool under_device_prefix, Access access, std::string_view topic) {
    switch (access) {
    case Access::unsubscribe:
        return true;
    case Access::write:
        return false;
    case Access::read:
        return under_device_prefix;
    case Access::subscribe: {
        std::string_view wanted = without_share_prefix(topic);
        return !wanted.empty() && !wanted.starts_with('$');
    }
    }
    return false;
}

bool valid_topic_filter(std::string_view filter) {
    if (filter.empty() || filter.size() > 256)
        return false;
    bool more = true;
    while (more) {
        std::string_view level = next_level(filter, more);
        if (level.find('\0') != std::string_view::npos)
            return false;
        bool wildcard = level.find_first_of("+#") != std::string_view::npos;
        if (wildcard && level.size() != 1)
            return false; // "a+" or "#b"
        if (level == "#" && more)
            return false; // # only last
    }
    return true;
}

std::string_view without_share_prefix(std::string_view filter) {
    if (!filter.starts_with("$share/"))
        return filter;
    size_t group_end = filter.find('/', 7);
    return group_end == std::string_view::npos ? std::string_view{} : filter.substr(group_end + 1);
}

bool owner_may(const std::vector<std::string>& owned_prefixes, Access access,
               std::string_view topic) {
    if (access == Access::unsubscribe)
        return true;
    if (access == Access::write)
        return false;
    std::string_view wanted = access == Access::subscribe ? without_share_prefix(topic) : topic;
    for (const std::string& prefix : owned_prefixes) {
        // prefix/# also matches the prefix itself; a wildcard above the prefix never matches.
        if ((access == Access::subscribe && wanted == prefix) ||
            !subtopic_under(prefix, wanted).empty())
            return true;
    }
    return false;
}

bool device_may(const KindSpec& kind, std::string_view prefix, Access access,
                std::string_view topic) {
    if (access == Access::unsubscribe)
        return true;
    if (access == Access::subscribe) {
        std::string_view filter = without_share_prefix(topic);
        std::string_view under = subtopic_under(prefix, filter);
        if (under.empty())
            return false; // outside the prefix, or a wildcard above it
        for (std::string_view candidate : kind.subscribes) {
            if (filter_within(under, candidate))
                return true;
        }
        return false;
    }
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
