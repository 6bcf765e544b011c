// Seed 004's ESP8266 keypad lock: a thin shell over door_lock.cpp. It never stores or receives
// a PIN; the broker checks attempts. Add cJSON.c/cJSON.h to this folder (the ESP8266 core has
// no cJSON) and the SarangDevice library (firmware/common).
#include "door_lock.hpp"
#include "sarang_fw/arduino/platform_arduino.hpp"
#include "secrets.h" // WIFI_SSID, WIFI_PASSWORD, SARANG_BROKER, SARANG_FACTORY_SECRET, LABEL_PIN

#include <Keypad.h>
#include <LiquidCrystal_I2C.h>

namespace {

constexpr int relay_pin = D0;
const char keymap[4][4] = {
    {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};
byte row_pins[4] = {D1, D2, D3, D4};
byte column_pins[4] = {D5, D6, D7, D8};

class BoardLock : public sarang_fw::LockHardware {
  public:
    BoardLock() : keypad_(makeKeymap(keymap), row_pins, column_pins, 4, 4), lcd_(0x27, 16, 2) {}
    void begin() {
        lcd_.init();
        lcd_.backlight();
    }
    char read_key() override { return keypad_.getKey(); }
    void relay(bool open) override { digitalWrite(relay_pin, open ? HIGH : LOW); }
    void show(std::string_view line) override {
        lcd_.clear();
        lcd_.print(std::string(line).c_str());
    }
    int rssi() override { return WiFi.RSSI(); }

  private:
    Keypad keypad_;
    LiquidCrystal_I2C lcd_;
};

sarang_fw::arduino::BoardClock board_clock;
sarang_fw::arduino::BoardRandom board_random;
sarang_fw::arduino::NvsStore nvs;
sarang_fw::arduino::PubSubTransport transport;
BoardLock hardware;
sarang_fw::DoorLock lock(hardware, "esp8266-lock/0.1");
sarang_fw::DeviceCore* core = nullptr;

} // namespace

void setup() {
    pinMode(relay_pin, OUTPUT);
    hardware.begin();
    WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
    configTime(0, 0, "pool.ntp.org");
    sarang_fw::CoreConfig config;
    config.kind = "door-lock";
    config.device_id = sarang_fw::arduino::board_device_id();
    config.label_pin = LABEL_PIN;
    config.factory_secret = SARANG_FACTORY_SECRET;
    config.broker_host = SARANG_BROKER;
    config.outbox_capacity = 8; // 80 KB of RAM
    core = new sarang_fw::DeviceCore(config, lock, transport, nvs, board_clock, board_random);
    transport.attach(*core);
}

void loop() {
    if (WiFi.status() == WL_CONNECTED) {
        transport.poll();
        core->loop();
    }
    delay(5);
}
