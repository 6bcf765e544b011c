#pragma once
// The SoftAP setup API of seed 002, served by the device on its own access point
// (http://192.168.4.1) while it has no Wi-Fi or no broker: GET /api/info, POST /api/wifi,
// POST /api/mqtt (the mqtt_config of POST /api/provision/register/), POST /api/restart.
// Pure: the sketch's web server passes method, path and body and sends back the reply.
#include "sarang_fw/platform.hpp"
#include "sarang_fw/settings_store.hpp"

#include <string>
#include <string_view>

namespace sarang_fw {

struct DeviceFacts {
    std::string chip_id; // the MAC-derived device id
    std::string kind;
    std::string firmware;
};

class SetupPortal {
  public:
    SetupPortal(SettingsStore& settings, DeviceFacts facts)
        : settings_(settings), facts_(std::move(facts)) {}

    // Bad input gets 400 with {"error": ...} and stores nothing.
    HttpReply handle(std::string_view method, std::string_view path, std::string_view body);
    bool restart_requested() const { return restart_requested_; }

  private:
    HttpReply info();
    HttpReply save_wifi(std::string_view body);
    HttpReply save_mqtt(std::string_view body);

    SettingsStore& settings_;
    DeviceFacts facts_;
    bool restart_requested_ = false;
};

} // namespace sarang_fw
