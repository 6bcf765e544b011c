#include "hydro_probe.hpp"

#include "sarang_fw/messages.hpp"

#include <algorithm>

#include <cmath>

namespace sarang_fw {

std::string HydroProbe::status_payload(bool online) {
    messages::Status status;
    status.online = online;
    status.firmware = firmware_;
    return messages::status(status);
}

void HydroProbe::on_online(DeviceCore& core) {
    // Spread a fleet's readings over the interval instead of all at the same moment.
    next_reading_ms_ = core.clock().monotonic_ms() + core.random().next() % (interval_ms_ + 1);
}

void HydroProbe::on_command(DeviceCore& core, const Command& command) {
    if (command.subtopic != "config")
        return;
    std::optional<long long> seconds = command.payload.whole_number("interval_s");
    if (seconds && *seconds >= 1 && *seconds <= 86400) {
        interval_ms_ = static_cast<std::uint32_t>(*seconds * 1000);
        // A shorter interval applies now, not after the reading already planned.
        next_reading_ms_ = std::min(next_reading_ms_, core.clock().monotonic_ms() + interval_ms_);
    }
}

void HydroProbe::tick(DeviceCore& core) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (now < next_reading_ms_)
        return;
    next_reading_ms_ = now + interval_ms_;
    std::optional<double> tds_volts = adc_.volts(channels_.tds);
    std::optional<double> ph_volts = adc_.volts(channels_.ph);
    if (!tds_volts || !ph_volts)
        return;
    messages::HydroReading reading;
    // The probes resolve about 1 ppm and 0.01 pH; more digits would only be noise.
    reading.tds_ppm = std::round(tds_ppm(*tds_volts) * 10.0) / 10.0;
    reading.ph = std::round(ph_value(*ph_volts, channels_.calibration) * 100.0) / 100.0;
    core.publish_reliably("reading", messages::hydro_reading(reading, core.clock().epoch_ms()));
    ++readings_sent_;
}

} // namespace sarang_fw
