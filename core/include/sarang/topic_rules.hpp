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
// A wildcard first level never matches a topic beginning with '$' (MQTT 4.7.2), so "$SYS/x"
// is not within "#" nor "+/x".
bool filter_within(std::string_view filter, std::string_view permitted);

// An integration's access (Telegraf, Node-RED, ...): read-only within the filters it was given.
// read: the topic matches one of them; subscribe: the filter (after any $share/<group>/) lies
// within one of them; write never; unsubscribe always. Topics under "sarang/" (the backend's
// own, e.g. provisioning) and "$" topics are never read, whatever the filters say.
bool integration_may(const std::vector<std::string>& filters, Access access,
                     std::string_view topic);

// An admin's app session: read every device's topics. read: the topic is under a device's
// prefix (`under_device_prefix` answers that); subscribe: any filter that is not a "$" topic
// (what it delivers is checked per message by read); write never; unsubscribe always.
bool admin_may(bool under_device_prefix, Access access, std::string_view topic);

// A syntactically valid MQTT topic filter: 1-256 bytes, no NUL, + and # only as whole levels,
// # only last.
bool valid_topic_filter(std::string_view filter);

// The filter of a shared subscription ("$share/group/a/b" -> "a/b"); others unchanged.
std::string_view without_share_prefix(std::string_view filter);

// The subtopic after prefix + "/", or an empty view when topic is not under the prefix.
std::string_view subtopic_under(std::string_view prefix, std::string_view topic);

} // namespace sarang
