#pragma once
// Seed 002's room sensor: {prefix}/reading {"temperature","humidity","ts"} every interval
// (config {"interval_s"} changes it), and a status that carries the chip id, which completes
// the SoftAP pre-registration (docs/provisioning.md).
#include "env_hardware.hpp"
#include "sarang_fw/device_core.hpp"

namespace sarang_fw {

class EnvSensor : public DeviceApp {
  public:
    EnvSensor(EnvHardware& hardware, std::string chip_id, std::string firmware,
              std::uint32_t interval_ms = 30000)
        : hardware_(hardware), chip_id_(std::move(chip_id)), firmware_(std::move(firmware)),
          interval_ms_(interval_ms) {}

    std::string status_payload(bool online) override;
    void on_online(DeviceCore& core) override;
    void on_command(DeviceCore& core, const Command& command) override;
    void tick(DeviceCore& core) override;
    std::uint32_t interval_ms() const { return interval_ms_; }

  private:
    EnvHardware& hardware_;
    std::string chip_id_;
    std::string firmware_;
    std::uint32_t interval_ms_;
    std::uint64_t next_reading_ms_ = 0;
};

} // namespace sarang_fw
