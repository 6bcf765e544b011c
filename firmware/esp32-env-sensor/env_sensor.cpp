#include "env_sensor.hpp"

#include "sarang_fw/messages.hpp"

#include <algorithm>

namespace sarang_fw {

std::string EnvSensor::status_payload(bool online) {
    messages::Status status;
    status.online = online;
    status.firmware = firmware_;
    status.chip_id = chip_id_;
    if (online)
        status.rssi = hardware_.rssi();
    return messages::status(status);
}

void EnvSensor::on_online(DeviceCore& core) {
    next_reading_ms_ = core.clock().monotonic_ms();
}

void EnvSensor::on_command(DeviceCore& core, const Command& command) {
    if (command.subtopic != "config")
        return;
    std::optional<long long> seconds = command.payload.whole_number("interval_s");
    if (seconds && *seconds >= 2 && *seconds <= 86400) {
        interval_ms_ = static_cast<std::uint32_t>(*seconds * 1000);
        // A shorter interval applies now, not after the reading already planned.
        next_reading_ms_ = std::min(next_reading_ms_, core.clock().monotonic_ms() + interval_ms_);
    }
}

void EnvSensor::tick(DeviceCore& core) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (now < next_reading_ms_)
        return;
    next_reading_ms_ = now + interval_ms_;
    double temperature = 0, humidity = 0;
    if (!hardware_.read(temperature, humidity))
        return;
    core.publish_reliably("reading",
                          messages::env_reading(temperature, humidity, core.clock().epoch_ms()));
}

} // namespace sarang_fw
