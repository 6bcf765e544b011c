#pragma once
// The ESP32-CAM box's parts: ultrasonic sensor, camera, flash LED, holder solenoid, buzzer.
#include <optional>
#include <string>

namespace sarang_fw {

class ParcelHardware {
  public:
    virtual ~ParcelHardware() = default;
    // nullopt when the echo did not come back.
    virtual std::optional<double> distance_cm() = 0;
    // A JPEG; empty when the camera failed.
    virtual std::string capture_jpeg() = 0;
    virtual void flash(bool on) = 0;
    virtual void holder(bool open) = 0;
    virtual void buzzer(bool on) = 0;
    virtual int rssi() = 0;
};

} // namespace sarang_fw
