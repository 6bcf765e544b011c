// Seed 002's ESP32 + DHT11, provisioned over SoftAP: a thin shell over env_sensor.cpp and the
// core's SetupPortal. Without Wi-Fi or broker settings it opens the access point
// "esp32-dht11-Setup" and serves GET /api/info, POST /api/wifi, /api/mqtt, /api/restart at
// 192.168.4.1; the app posts the mqtt_config of POST /api/provision/register/ there.
#include "env_sensor.hpp"
#include "label.h" // SETUP_AP_PASSWORD: printed on the device's label, per device
#include "sarang_fw/arduino/platform_arduino.hpp"
#include "sarang_fw/setup_portal.hpp"

#include <DHT.h>
#include <WebServer.h>

namespace {

constexpr int dht_pin = 4;

class Dht11 : public sarang_fw::EnvHardware {
  public:
    Dht11() : dht_(dht_pin, DHT11) {}
    void begin() { dht_.begin(); }
    bool read(double& temperature_c, double& humidity_percent) override {
        float t = dht_.readTemperature(), h = dht_.readHumidity();
        if (isnan(t) || isnan(h))
            return false;
        temperature_c = t;
        humidity_percent = h;
        return true;
    }
    int rssi() override { return WiFi.RSSI(); }

  private:
    DHT dht_;
};

sarang_fw::arduino::BoardClock board_clock;
sarang_fw::arduino::BoardRandom board_random;
sarang_fw::arduino::NvsStore nvs;
sarang_fw::arduino::PubSubTransport transport;
sarang_fw::SettingsStore settings(nvs);
Dht11 hardware;
sarang_fw::EnvSensor* sensor = nullptr;
sarang_fw::DeviceCore* core = nullptr;
sarang_fw::SetupPortal* portal = nullptr;
WebServer server(80);

void serve(const char* path, HTTPMethod method, const char* method_name) {
    server.on(path, method, [path, method_name] {
        sarang_fw::HttpReply reply = portal->handle(method_name, path, server.arg("plain").c_str());
        server.send(reply.status, "application/json", reply.body.c_str());
        if (portal->restart_requested()) {
            delay(200);
            ESP.restart();
        }
    });
}

} // namespace

void setup() {
    hardware.begin();
    std::string chip_id = sarang_fw::arduino::board_device_id();
    sensor = new sarang_fw::EnvSensor(hardware, chip_id, "esp32-env-sensor/0.1", 30000);
    std::optional<sarang_fw::WifiConfig> wifi = settings.wifi();
    if (!wifi || !settings.mqtt()) {
        portal =
            new sarang_fw::SetupPortal(settings, {chip_id, "env-sensor", "esp32-env-sensor/0.1"});
        WiFi.softAP("esp32-dht11-Setup", SETUP_AP_PASSWORD);
        serve("/api/info", HTTP_GET, "GET");
        serve("/api/wifi", HTTP_POST, "POST");
        serve("/api/mqtt", HTTP_POST, "POST");
        serve("/api/restart", HTTP_POST, "POST");
        server.begin();
        return;
    }
    WiFi.begin(wifi->ssid.c_str(), wifi->password.c_str());
    configTime(0, 0, "pool.ntp.org");
    sarang_fw::CoreConfig config;
    config.kind = "env-sensor";
    config.device_id = chip_id;
    core = new sarang_fw::DeviceCore(config, *sensor, transport, nvs, board_clock, board_random);
    transport.attach(*core);
}

void loop() {
    if (portal != nullptr) {
        server.handleClient();
    } else if (WiFi.status() == WL_CONNECTED) {
        transport.poll();
        core->loop();
    }
    delay(5);
}
