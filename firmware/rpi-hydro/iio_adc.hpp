#pragma once
// An ADC through the Linux IIO subsystem (an ADS1115 with the ads1015 driver shows up as
// /sys/bus/iio/devices/iio:deviceN with in_voltageK_raw and in_voltageK_scale in mV).
#include "adc.hpp"

#include <string>

namespace sarang_fw {

class IioAdc : public Adc {
  public:
    explicit IioAdc(std::string device_dir) : dir_(std::move(device_dir)) {}
    std::optional<double> volts(int channel) override;

  private:
    std::string dir_;
};

} // namespace sarang_fw
