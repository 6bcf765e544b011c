#include "claim_topics.hpp"

namespace sarang::provision {
namespace {

constexpr std::string_view root = "sarang/provision/";

bool is_topic(std::string_view topic, std::string_view client_id, std::string_view leaf) {
    if (!topic.starts_with(root))
        return false;
    topic.remove_prefix(root.size());
    if (!topic.starts_with(client_id))
        return false;
    topic.remove_prefix(client_id.size());
    return topic.size() == leaf.size() + 1 && topic.front() == '/' && topic.substr(1) == leaf;
}

} // namespace

std::string request_topic(std::string_view client_id) {
    return std::string(root) + std::string(client_id) + "/request";
}

std::string response_topic(std::string_view client_id) {
    return std::string(root) + std::string(client_id) + "/response";
}

bool is_request_topic(std::string_view topic, std::string_view client_id) {
    return !client_id.empty() && is_topic(topic, client_id, "request");
}

bool is_response_topic(std::string_view topic, std::string_view client_id) {
    return !client_id.empty() && is_topic(topic, client_id, "response");
}

} // namespace sarang::provision
