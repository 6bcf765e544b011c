#include "sarang_fw/settings_store.hpp"

#include <cstdlib>

namespace sarang_fw {

std::optional<WifiConfig> SettingsStore::wifi() {
    std::optional<std::string> ssid = store_.get("wifi_ssid");
    if (!ssid || ssid->empty())
        return std::nullopt;
    return WifiConfig{*ssid, store_.get("wifi_pass").value_or("")};
}

bool SettingsStore::save_wifi(const WifiConfig& wifi) {
    return store_.put("wifi_ssid", wifi.ssid) && store_.put("wifi_pass", wifi.password);
}

std::optional<MqttConfig> SettingsStore::mqtt() {
    MqttConfig config;
    std::optional<std::string> host = store_.get("mqtt_host");
    std::optional<std::string> port = store_.get("mqtt_port");
    std::optional<std::string> client = store_.get("mqtt_client");
    std::optional<std::string> user = store_.get("mqtt_user");
    std::optional<std::string> password = store_.get("mqtt_pass");
    std::optional<std::string> prefix = store_.get("mqtt_prefix");
    if (!host || !port || !client || !user || !password || !prefix || password->empty())
        return std::nullopt;
    config.host = *host;
    config.port = std::atoi(port->c_str());
    config.client_id = *client;
    config.username = *user;
    config.password = *password;
    config.topic_prefix = *prefix;
    return config;
}

bool SettingsStore::save_mqtt(const MqttConfig& mqtt) {
    // The password last: a half-written config is incomplete, never a wrong credential.
    return store_.erase("mqtt_pass") && store_.put("mqtt_host", mqtt.host) &&
           store_.put("mqtt_port", std::to_string(mqtt.port)) &&
           store_.put("mqtt_client", mqtt.client_id) && store_.put("mqtt_user", mqtt.username) &&
           store_.put("mqtt_prefix", mqtt.topic_prefix) && store_.put("mqtt_pass", mqtt.password);
}

void SettingsStore::forget_credential() {
    store_.erase("mqtt_pass");
}

} // namespace sarang_fw
