// Seed 001's vending machine on an ESP32: a thin shell. The logic is vending_machine.cpp (tested
// on the host); this file wires GPIOs to VendingHardware and runs the core. Wi-Fi credentials,
// the factory secret and the label PIN come from build flags (secrets.h, not committed).
#include "sarang_fw/arduino/platform_arduino.hpp"
#include "secrets.h" // WIFI_SSID, WIFI_PASSWORD, SARANG_BROKER, SARANG_FACTORY_SECRET, LABEL_PIN
#include "vending_machine.hpp"

namespace {

constexpr int motor_pins[] = {25, 26, 27}; // slots 1-3
constexpr int drop_sensor_pin = 34;        // IR beam, LOW when broken
constexpr int door_pin = 35;               // reed switch, LOW when closed

class Esp32Vending : public sarang_fw::VendingHardware {
  public:
    void run_motor(int slot, bool on) override {
        if (slot >= 1 && slot <= 3)
            digitalWrite(motor_pins[slot - 1], on ? HIGH : LOW);
        if (on)
            dropped_ = false;
    }
    bool drop_detected() override {
        return dropped_ || (dropped_ = digitalRead(drop_sensor_pin) == LOW);
    }
    std::vector<sarang_fw::messages::SlotLevel> slot_levels() override {
        return {{1, "FULL"}, {2, "FULL"}, {3, "FULL"}}; // no level sensors on this build
    }
    double temperature_c() override { return temperatureRead(); }
    bool door_closed() override { return digitalRead(door_pin) == LOW; }
    int rssi() override { return WiFi.RSSI(); }

  private:
    bool dropped_ = false;
};

sarang_fw::arduino::BoardClock board_clock;
sarang_fw::arduino::BoardRandom board_random;
sarang_fw::arduino::NvsStore nvs;
sarang_fw::arduino::PubSubTransport transport;
Esp32Vending hardware;
sarang_fw::VendingMachine machine(hardware, "esp32-vending/0.1", 60000);
sarang_fw::DeviceCore* core = nullptr;

} // namespace

void setup() {
    for (int pin : motor_pins)
        pinMode(pin, OUTPUT);
    pinMode(drop_sensor_pin, INPUT);
    pinMode(door_pin, INPUT_PULLUP);
    WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
    configTime(0, 0, "pool.ntp.org");
    sarang_fw::CoreConfig config;
    config.kind = "vending";
    config.device_id = sarang_fw::arduino::board_device_id();
    config.label_pin = LABEL_PIN;
    config.factory_secret = SARANG_FACTORY_SECRET;
    config.broker_host = SARANG_BROKER;
    core = new sarang_fw::DeviceCore(config, machine, transport, nvs, board_clock, board_random);
    transport.attach(*core);
}

void loop() {
    if (WiFi.status() == WL_CONNECTED) {
        transport.poll();
        core->loop();
    }
    delay(5);
}
