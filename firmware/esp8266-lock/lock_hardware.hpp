#pragma once
// The ESP8266 lock's parts: a 4x4 keypad, the door relay and a small display.
#include <string_view>

namespace sarang_fw {

class LockHardware {
  public:
    virtual ~LockHardware() = default;
    // The key pressed since the last call ('0'-'9', '*', '#'), or 0.
    virtual char read_key() = 0;
    virtual void relay(bool open) = 0;
    virtual void show(std::string_view line) = 0;
    virtual int rssi() = 0;
};

} // namespace sarang_fw
