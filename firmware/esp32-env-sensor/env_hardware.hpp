#pragma once
// The DHT11 on the ESP32 of seed 002.
namespace sarang_fw {

class EnvHardware {
  public:
    virtual ~EnvHardware() = default;
    // False when the sensor did not answer (a DHT11 misses reads now and then).
    virtual bool read(double& temperature_c, double& humidity_percent) = 0;
    virtual int rssi() = 0;
};

} // namespace sarang_fw
