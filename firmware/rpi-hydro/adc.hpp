#pragma once
// An analog-to-digital converter channel in volts (an ADS1115 on the Pi's I2C, read through
// the kernel's IIO driver, or a simulated one).
#include <optional>

namespace sarang_fw {

class Adc {
  public:
    virtual ~Adc() = default;
    virtual std::optional<double> volts(int channel) = 0;
};

} // namespace sarang_fw
