#pragma once
// The ACL decision for a device: its own prefix, its kind's directions, nothing else.
// Pure and allocation-free, so the broker thread can call it on every check.
#include "sarang/device_kinds.hpp"

#include <string_view>

namespace sarang {

enum class Access { read, write, subscribe, unsubscribe };

// True when topic is exactly prefix + "/" + one of the kind's subtopics for that direction.
// write: the kind's publishes; read and subscribe: its subscribes (a subscription filter must
// name the topic exactly: no wildcards, so a device never sees more than its own commands).
// unsubscribe is always allowed: it can only reduce what a client receives.
bool device_may(const KindSpec& kind, std::string_view prefix, Access access,
                std::string_view topic);

// The subtopic after prefix + "/", or an empty view when topic is not under the prefix.
std::string_view subtopic_under(std::string_view prefix, std::string_view topic);

} // namespace sarang
