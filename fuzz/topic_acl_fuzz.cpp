// The ACL with hostile topics and filters: a device's prefix, an app user's prefixes and
// filter_within, each checked against a plain MQTT matcher on fuzz-chosen topics. A filter that
// is allowed must never match a topic outside what the client may read.
#include "fuzz_support.hpp"
#include "sarang/topic_rules.hpp"

#include <vector>

namespace {

std::vector<std::string_view> levels(std::string_view text) {
    std::vector<std::string_view> out;
    for (;;) {
        std::size_t slash = text.find('/');
        out.push_back(text.substr(0, slash));
        if (slash == std::string_view::npos)
            return out;
        text.remove_prefix(slash + 1);
    }
}

// MQTT 3.1.1 4.7 matching of a concrete topic by a filter ($-topics aside: stricter here).
bool matches(std::string_view filter, std::string_view topic) {
    std::vector<std::string_view> f = levels(filter), t = levels(topic);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#")
            return true; // also matches the parent level
        if (i >= t.size())
            return false;
        if (f[i] != "+" && f[i] != t[i])
            return false;
    }
    return f.size() == t.size();
}

bool concrete(std::string_view topic) {
    return !topic.empty() && topic.find_first_of("+#") == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using sarang::Access;
    FuzzedDataProvider input(data, size);
    auto kinds = sarang::all_kinds();
    const sarang::KindSpec& kind = kinds[input.ConsumeIntegral<uint8_t>() % kinds.size()];
    std::string prefix = input.ConsumeRandomLengthString(32);
    std::string filter = input.ConsumeRandomLengthString(64);
    std::string topic = input.ConsumeRandomLengthString(64);
    std::string permitted = input.ConsumeRemainingBytesAsString();

    // filter_within is a promise about every topic: check it on this one.
    if (sarang::filter_within(filter, permitted) && matches(filter, topic))
        FUZZ_CHECK(matches(permitted, topic));

    if (!sarang::valid_topic_prefix(prefix))
        prefix = sarang::default_topic_prefix(kind, "dev-1");
    for (Access access : {Access::read, Access::write}) {
        if (sarang::device_may(kind, prefix, access, topic)) {
            std::string_view sub = sarang::subtopic_under(prefix, topic);
            FUZZ_CHECK(concrete(topic) && !sub.empty());
        }
    }
    if (sarang::device_may(kind, prefix, Access::subscribe, filter) && concrete(topic) &&
        matches(sarang::without_share_prefix(filter), topic))
        FUZZ_CHECK(sarang::device_may(kind, prefix, Access::read, topic));

    // An app user's subscription reaches nothing outside its devices' prefixes. (Reading is
    // checked again per message; what matters here is that the filter cannot reach further.)
    std::vector<std::string> owned = {prefix, "vm/m-2"};
    FUZZ_CHECK(!sarang::owner_may(owned, Access::write, topic));
    if (sarang::owner_may(owned, Access::subscribe, filter) && concrete(topic) &&
        matches(sarang::without_share_prefix(filter), topic))
        FUZZ_CHECK(matches(owned[0] + "/#", topic) || matches(owned[1] + "/#", topic));
    if (sarang::owner_may(owned, Access::read, topic))
        FUZZ_CHECK(matches(owned[0] + "/#", topic) || matches(owned[1] + "/#", topic));
    return 0;
}
