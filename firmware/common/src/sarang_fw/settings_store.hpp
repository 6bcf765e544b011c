#pragma once
// What a device keeps across reboots, in its non-volatile key-value store: the Wi-Fi it joins
// and the broker and credential it uses. Written by the SoftAP portal (seed 002) or by a
// successful self-registration; read at boot.
#include "sarang_fw/platform.hpp"

#include <optional>
#include <string>

namespace sarang_fw {

struct WifiConfig {
    std::string ssid;
    std::string password;
};

struct MqttConfig {
    std::string host;
    int port = 1883;
    std::string client_id;
    std::string username;
    std::string password;
    std::string topic_prefix;
};

class SettingsStore {
  public:
    explicit SettingsStore(KeyValueStore& store) : store_(store) {}

    std::optional<WifiConfig> wifi();
    bool save_wifi(const WifiConfig& wifi);
    // Complete only: a broker, a port and a credential.
    std::optional<MqttConfig> mqtt();
    bool save_mqtt(const MqttConfig& mqtt);
    // The credential only (a refused credential is forgotten so the device registers again).
    void forget_credential();

  private:
    KeyValueStore& store_;
};

} // namespace sarang_fw
