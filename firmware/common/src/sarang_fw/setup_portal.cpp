#include "sarang_fw/setup_portal.hpp"

#include "sarang_fw/device_id.hpp"
#include "sarang_fw/json.hpp"

namespace sarang_fw {
namespace {

HttpReply error(int status, std::string_view message) {
    return {status, Json::object().set_string("error", message).print()};
}

HttpReply ok() {
    return {200, Json::object().set_bool("ok", true).print()};
}

// Levels of 1-64 id characters (and '.'), at most 8, as the backend's prefixes.
bool valid_prefix(std::string_view prefix) {
    if (prefix.empty() || prefix.size() > 128)
        return false;
    std::size_t start = 0;
    int levels = 0;
    while (start <= prefix.size()) {
        std::size_t end = prefix.find('/', start);
        if (end == std::string_view::npos)
            end = prefix.size();
        std::string_view level = prefix.substr(start, end - start);
        std::string without_dots;
        for (char c : level)
            without_dots.push_back(c == '.' ? '_' : c);
        if (!valid_device_id(without_dots) || ++levels > 8)
            return false;
        start = end + 1;
    }
    return true;
}

} // namespace

HttpReply SetupPortal::handle(std::string_view method, std::string_view path,
                              std::string_view body) {
    if (path == "/api/info")
        return method == "GET" ? info() : error(405, "use GET");
    bool known = path == "/api/wifi" || path == "/api/mqtt" || path == "/api/restart";
    if (!known)
        return error(404, "no such endpoint");
    if (method != "POST")
        return error(405, "use POST");
    if (path == "/api/wifi")
        return save_wifi(body);
    if (path == "/api/mqtt")
        return save_mqtt(body);
    restart_requested_ = true;
    return ok();
}

HttpReply SetupPortal::info() {
    Json out = Json::object();
    out.set_string("chip_id", facts_.chip_id)
        .set_string("device_id", facts_.chip_id)
        .set_string("kind", facts_.kind)
        .set_string("firmware", facts_.firmware)
        .set_bool("wifi_configured", settings_.wifi().has_value())
        .set_bool("mqtt_configured", settings_.mqtt().has_value());
    return {200, out.print()};
}

HttpReply SetupPortal::save_wifi(std::string_view body) {
    std::optional<Json> root = Json::parse(body);
    if (!root || !root->view().is_object())
        return error(400, "body must be a JSON object");
    std::optional<std::string> ssid = root->view().string("ssid");
    std::string password = root->view().string("password").value_or("");
    if (!ssid || ssid->empty() || ssid->size() > 32)
        return error(400, "ssid must be 1-32 characters");
    if (!password.empty() && (password.size() < 8 || password.size() > 63))
        return error(400, "password must be empty (open network) or 8-63 characters");
    if (!settings_.save_wifi({*ssid, password}))
        return error(500, "could not store the settings");
    return ok();
}

HttpReply SetupPortal::save_mqtt(std::string_view body) {
    std::optional<Json> root = Json::parse(body);
    if (!root || !root->view().is_object())
        return error(400, "body must be a JSON object");
    JsonView view = root->view();
    // Both spellings: the seed's app sends broker/port, Sarang's mqtt_config broker_host/port.
    MqttConfig config;
    config.host = view.string("broker_host").value_or(view.string("broker").value_or(""));
    long long port =
        view.whole_number("broker_port").value_or(view.whole_number("port").value_or(1883));
    config.topic_prefix = view.string("topic_prefix").value_or("");
    std::string node = view.string("node_name").value_or("");
    config.username = view.string("username").value_or(node);
    config.client_id = view.string("client_id").value_or(config.username);
    config.password = view.string("password").value_or("");
    if (config.host.empty() || config.host.size() > 253)
        return error(400, "broker_host must be a host name or address");
    if (port < 1 || port > 65535)
        return error(400, "broker_port must be 1-65535");
    config.port = static_cast<int>(port);
    if (!valid_prefix(config.topic_prefix))
        return error(400, "topic_prefix must be levels of A-Z a-z 0-9 _ - .");
    if (!valid_device_id(config.username) || !valid_device_id(config.client_id))
        return error(400, "username and client_id must be 1-64 of A-Z a-z 0-9 _ -");
    if (config.password.empty() || config.password.size() > 256)
        return error(400, "password (the device credential from mqtt_config) is required");
    if (!settings_.save_mqtt(config))
        return error(500, "could not store the settings");
    return ok();
}

} // namespace sarang_fw
