#pragma once
// Seed 001's machine: vm/{id}/command {"cmd":"dispense","slot","orderId","timeoutMs","id"}
// runs the slot's motor until the drop sensor sees the item or the timeout passes, then
// answers vm/{id}/dispense_result. One dispense at a time; telemetry every interval.
#include "sarang_fw/device_core.hpp"
#include "vending_hardware.hpp"

#include <optional>

namespace sarang_fw {

class VendingMachine : public DeviceApp {
  public:
    VendingMachine(VendingHardware& hardware, std::string firmware,
                   std::uint32_t telemetry_interval_ms = 60000)
        : hardware_(hardware), firmware_(std::move(firmware)),
          telemetry_interval_ms_(telemetry_interval_ms) {}

    std::string status_payload(bool online) override;
    void on_online(DeviceCore& core) override;
    void on_command(DeviceCore& core, const Command& command) override;
    void tick(DeviceCore& core) override;
    bool dispensing() const { return running_.has_value(); }

  private:
    struct Running {
        Command command; // payload view unused after the start
        messages::DispenseCommand dispense;
        std::uint64_t started_ms = 0;
    };
    void finish(DeviceCore& core, bool dropped, std::string error);
    void send_telemetry(DeviceCore& core);

    VendingHardware& hardware_;
    std::string firmware_;
    std::uint32_t telemetry_interval_ms_;
    std::uint64_t next_telemetry_ms_ = 0;
    std::optional<Running> running_;
};

} // namespace sarang_fw
