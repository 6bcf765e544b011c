#pragma once
// The ACL decision for a device: its own prefix, its kind's directions, nothing else.
// Pure and allocation-free, so the broker thread can call it on every check.
#include "sarang/device_kinds.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sarang {

enum class Access { read, write, subscribe, unsubscribe };

// True when topic is exactly prefix + "/" + one of the kind's subtopics for that direction.
// write: the kind's publishes; read: its subscribes; subscribe: the filter (after any
// $share/<group>/) must lie within one of them. The kinds' subscribe topics are concrete, so in
// practice a device subscribes to its command topics by name: a wildcard would reach past them.
// unsubscribe is always allowed: it can only reduce what a client receives.
bool device_may(const KindSpec& kind, std::string_view prefix, Access access,
                std::string_view topic);

// An app user's access: read-only on the topics under the prefixes of the devices it owns.
// read: the topic lies under one of them; subscribe: the filter (after any $share/<group>/)
// lies within one of them plus "/#"; write never; unsubscribe always.
bool owner_may(const std::vector<std::string>& owned_prefixes, Access access,
               std::string_view topic);

// True when every topic that `filter` matches is also matched by `permitted` (both MQTT topic
// filters; + and # allowed in either). "a/+/c" is within "a/#"; "a/#" is not within "a/+".
bool filter_within(std::string_view filter, std::string_view permitted);

// The filter of a shared subscription ("$share/group/a/b" -> "a/b"); others unchanged.
std::string_view without_share_prefix(std::string_view filter);

// The subtopic after prefix + "/", or an empty view when topic is not under the prefix.
std::string_view subtopic_under(std::string_view prefix, std::string_view topic);

} // namespace sarang
