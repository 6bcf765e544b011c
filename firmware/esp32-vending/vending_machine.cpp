#include "vending_machine.hpp"

namespace sarang_fw {

std::string VendingMachine::status_payload(bool online) {
    return messages::vending_status(online, hardware_.door_closed(),
                                    online ? std::optional<int>(hardware_.rssi()) : std::nullopt,
                                    firmware_);
}

void VendingMachine::on_online(DeviceCore& core) {
    next_telemetry_ms_ = core.clock().monotonic_ms();
}

void VendingMachine::on_command(DeviceCore& core, const Command& command) {
    if (command.subtopic == "config") {
        if (std::optional<long long> interval = command.payload.whole_number("telemetryInterval");
            interval && *interval >= 1000 && *interval <= 3600000)
            telemetry_interval_ms_ = static_cast<std::uint32_t>(*interval);
        return;
    }
    if (command.subtopic != "command")
        return;
    std::optional<messages::DispenseCommand> dispense = messages::parse_dispense(command.payload);
    if (!dispense)
        return; // not a dispense: nothing this machine can do or answer
    if (running_) {
        messages::DispenseResult busy{
            dispense->id, dispense->order_id, dispense->slot, false, false, 0, "busy"};
        core.answer(command, "dispense_result", messages::dispense_result(busy));
        return;
    }
    Command kept = command;
    kept.payload = JsonView(); // the parsed message dies after this call
    running_ = Running{kept, *dispense, core.clock().monotonic_ms()};
    hardware_.run_motor(dispense->slot, true);
}

void VendingMachine::tick(DeviceCore& core) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (running_) {
        if (hardware_.drop_detected())
            finish(core, true, "");
        else if (now - running_->started_ms >=
                 static_cast<std::uint64_t>(running_->dispense.timeout_ms))
            finish(core, false, "timeout");
    }
    if (now >= next_telemetry_ms_) {
        send_telemetry(core);
        next_telemetry_ms_ = now + telemetry_interval_ms_;
    }
}

void VendingMachine::finish(DeviceCore& core, bool dropped, std::string error) {
    hardware_.run_motor(running_->dispense.slot, false);
    messages::DispenseResult result;
    result.id = running_->dispense.id;
    result.order_id = running_->dispense.order_id;
    result.slot = running_->dispense.slot;
    result.success = dropped;
    result.drop_detected = dropped;
    result.duration_ms = static_cast<long>(core.clock().monotonic_ms() - running_->started_ms);
    result.error = std::move(error);
    Command command = std::move(running_->command);
    running_.reset();
    core.answer(command, "dispense_result", messages::dispense_result(result));
}

void VendingMachine::send_telemetry(DeviceCore& core) {
    core.publish_reliably(
        "telemetry", messages::vending_telemetry(hardware_.slot_levels(), hardware_.temperature_c(),
                                                 hardware_.door_closed(), core.clock().epoch_ms()));
}

} // namespace sarang_fw
