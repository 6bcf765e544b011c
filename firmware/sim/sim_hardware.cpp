#include "sim_hardware.hpp"

#include "jpeg.hpp"
#include "sarang_fw/messages.hpp"

#include <algorithm>

namespace sarang_sim {

Drift::Drift(SystemRandom& random, double low, double high, double step,
             std::optional<double> start)
    : random_(random), low_(low), high_(high), step_(step),
      value_(start ? *start : low + (high - low) * random.uniform()) {}

double Drift::next() {
    value_ = std::clamp(value_ + step_ * (2 * random_.uniform() - 1), low_, high_);
    return value_;
}

bool SimEnv::read(double& temperature_c, double& humidity_percent) {
    temperature_c = static_cast<int>(temperature_.next() * 10) / 10.0; // a DHT11 says 0.1 °C
    humidity_percent = static_cast<int>(humidity_.next());
    return true;
}

void SimVending::run_motor(int, bool on) {
    if (!on) {
        drop_at_ms_ = 0;
        return;
    }
    bool drops = random_.uniform() < success_rate_;
    drop_at_ms_ = drops ? clock_.monotonic_ms() + 300 + random_.next() % 1200 : 0;
}

bool SimVending::drop_detected() {
    return drop_at_ms_ != 0 && clock_.monotonic_ms() >= drop_at_ms_;
}

std::vector<sarang_fw::messages::SlotLevel> SimVending::slot_levels() {
    return {{1, "FULL"}, {2, "FULL"}, {3, "LOW"}};
}

SimParcel::SimParcel(SystemClock& clock, SystemRandom& random, double parcel_every_s)
    : clock_(clock), random_(random), parcel_every_s_(parcel_every_s),
      next_parcel_ms_(clock.monotonic_ms() +
                      static_cast<std::uint64_t>(parcel_every_s * 1000 * random.uniform())) {}

std::optional<double> SimParcel::distance_cm() {
    std::uint64_t now = clock_.monotonic_ms();
    if (now >= next_parcel_ms_) {
        parcel_until_ms_ = now + 3000;
        next_parcel_ms_ =
            now + static_cast<std::uint64_t>(parcel_every_s_ * 1000 * (0.5 + random_.uniform()));
    }
    if (now < parcel_until_ms_)
        return 17.0;
    return 42.0;
}

std::string SimParcel::capture_jpeg() {
    return parcel_photo();
}

char SimLock::read_key() {
    if (keys_.empty())
        return 0;
    char key = keys_.front();
    keys_.pop_front();
    return key;
}

void SimLock::type(const std::string& keys) {
    keys_.insert(keys_.end(), keys.begin(), keys.end());
}

std::string RelaySwitch::status_payload(bool online) {
    sarang_fw::messages::Status status;
    status.online = online;
    return sarang_fw::messages::status(status);
}

void RelaySwitch::on_online(sarang_fw::DeviceCore& core) {
    core.publish("state", sarang_fw::messages::relay_state(on_, ""));
}

void RelaySwitch::on_command(sarang_fw::DeviceCore& core, const sarang_fw::Command& command) {
    std::optional<bool> on = sarang_fw::messages::parse_relay_command(command.payload);
    if (command.subtopic != "command" || !on)
        return;
    on_ = *on;
    core.answer(command, "state", sarang_fw::messages::relay_state(on_, command.id));
}

} // namespace sarang_sim
