#pragma once
// The device kinds as the firmware sees them: the prefix root and the subtopics a device
// receives. It must agree with the backend's table (core/src/device_kinds.cpp); the unit test
// firmware_kinds compares the two.
#include <array>
#include <span>
#include <string>
#include <string_view>

namespace sarang_fw {

struct KindInfo {
    std::string_view name;
    std::string_view prefix_root;
    std::array<std::string_view, 3> receives; // empty entries unused
};

const KindInfo* find_kind(std::string_view name);
std::span<const KindInfo> all_kinds();

// <root>/<id>: the prefix the backend gives a device it registers itself.
std::string default_prefix(const KindInfo& kind, std::string_view device_id);
// <prefix>/<subtopic>
std::string topic(std::string_view prefix, std::string_view subtopic);
// The subtopic of a topic under prefix, or empty when the topic is not under it.
std::string_view subtopic_of(std::string_view topic, std::string_view prefix);

// The claim identity's two topics (docs/provisioning.md).
std::string claim_request_topic(std::string_view client_id);
std::string claim_response_topic(std::string_view client_id);

} // namespace sarang_fw
