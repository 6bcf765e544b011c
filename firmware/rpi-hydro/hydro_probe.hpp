#pragma once
// Seed 003's Raspberry Pi probe: TDS on one ADC channel, pH on another, published as
// hydro/{name}/reading {"tds","ph","ts"} every interval through the outbox (a Pi on a flaky
// Wi-Fi keeps its readings until the broker has them).
#include "adc.hpp"
#include "sarang_fw/device_core.hpp"
#include "water_chemistry.hpp"

namespace sarang_fw {

struct HydroChannels {
    int tds = 0;
    int ph = 1;
    PhCalibration calibration;
};

class HydroProbe : public DeviceApp {
  public:
    HydroProbe(Adc& adc, HydroChannels channels, std::string firmware,
               std::uint32_t interval_ms = 10000)
        : adc_(adc), channels_(channels), firmware_(std::move(firmware)),
          interval_ms_(interval_ms) {}

    std::string status_payload(bool online) override;
    void on_online(DeviceCore& core) override;
    void on_command(DeviceCore& core, const Command& command) override;
    void tick(DeviceCore& core) override;
    std::uint32_t interval_ms() const { return interval_ms_; }
    std::uint64_t readings_sent() const { return readings_sent_; }

  private:
    Adc& adc_;
    HydroChannels channels_;
    std::string firmware_;
    std::uint32_t interval_ms_;
    std::uint64_t next_reading_ms_ = 0;
    std::uint64_t readings_sent_ = 0;
};

} // namespace sarang_fw
