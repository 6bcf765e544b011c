#pragma once
// Simulated parts for each device kind: plausible values that drift, a drop sensor that fires
// with the chosen success rate, parcels that arrive now and then, a keypad a script types on.
#include "../esp32-env-sensor/env_hardware.hpp"
#include "../esp32-vending/vending_hardware.hpp"
#include "../esp32cam-parcel/parcel_hardware.hpp"
#include "../esp8266-lock/lock_hardware.hpp"
#include "../host/system_platform.hpp"
#include "../rpi-hydro/adc.hpp"
#include "sarang_fw/device_core.hpp"

#include <deque>
#include <optional>

namespace sarang_sim {

using sarang_fw::host::SystemClock;
using sarang_fw::host::SystemRandom;

// A value that wanders within [low, high].
class Drift {
  public:
    // Starts at a random point of [low, high], or at `start`.
    Drift(SystemRandom& random, double low, double high, double step,
          std::optional<double> start = std::nullopt);
    double next();

  private:
    SystemRandom& random_;
    double low_, high_, step_, value_;
};

// Probe voltages around a healthy nutrient solution (about 425-690 ppm, pH 5.7-6.7), or, for a
// troubled tank (a real fleet has some: a dosing pump stuck, a reservoir left to evaporate), a
// wide wander (about 190-1940 ppm, pH 4.3-7.6) through the warning and critical bands. A troubled
// tank starts where its trouble shows at once, evaporated (1940 ppm, critical for about six
// readings) with a pH of about 6.8 (the warning band), so a fleet with one shows all three levels
// from its first readings rather than when the wander happens to get there.
class SimAdc : public sarang_fw::Adc {
  public:
    SimAdc(SystemRandom& random, bool troubled)
        : tds_(troubled ? Drift(random, 0.5, 3.0, 0.08, 3.0) : Drift(random, 1.15, 1.7, 0.02)),
          ph_(troubled ? Drift(random, 2.39, 3.0, 0.03, 2.5275)
                       : Drift(random, 2.56, 2.74, 0.005)) {}
    std::optional<double> volts(int channel) override {
        return channel == 0 ? tds_.next() : ph_.next();
    }

  private:
    Drift tds_, ph_;
};

class SimEnv : public sarang_fw::EnvHardware {
  public:
    explicit SimEnv(SystemRandom& random)
        : temperature_(random, 24, 31, 0.2), humidity_(random, 45, 80, 1) {}
    bool read(double& temperature_c, double& humidity_percent) override;
    int rssi() override { return -58; }

  private:
    Drift temperature_, humidity_;
};

class SimVending : public sarang_fw::VendingHardware {
  public:
    SimVending(SystemClock& clock, SystemRandom& random, double success_rate)
        : clock_(clock), random_(random), success_rate_(success_rate),
          temperature_(random, 3, 8, 0.2) {}
    void run_motor(int slot, bool on) override;
    bool drop_detected() override;
    std::vector<sarang_fw::messages::SlotLevel> slot_levels() override;
    double temperature_c() override { return temperature_.next(); }
    bool door_closed() override { return true; }
    int rssi() override { return -65; }

  private:
    SystemClock& clock_;
    SystemRandom& random_;
    double success_rate_;
    Drift temperature_;
    std::uint64_t drop_at_ms_ = 0; // 0: no drop coming
};

class SimParcel : public sarang_fw::ParcelHardware {
  public:
    SimParcel(SystemClock& clock, SystemRandom& random, double parcel_every_s);
    std::optional<double> distance_cm() override;
    std::string capture_jpeg() override;
    void flash(bool) override {}
    void holder(bool) override {}
    void buzzer(bool) override {}
    int rssi() override { return -61; }

  private:
    SystemClock& clock_;
    SystemRandom& random_;
    double parcel_every_s_;
    std::uint64_t next_parcel_ms_;
    std::uint64_t parcel_until_ms_ = 0;
};

class SimLock : public sarang_fw::LockHardware {
  public:
    char read_key() override;
    void relay(bool) override {}
    void show(std::string_view) override {}
    int rssi() override { return -70; }
    void type(const std::string& keys);

  private:
    std::deque<char> keys_;
};

// Seed 000's lamp relay: relay/{id}/command {"state":"on"|"off"} -> relay/{id}/state.
class RelaySwitch : public sarang_fw::DeviceApp {
  public:
    std::string status_payload(bool online) override;
    void on_online(sarang_fw::DeviceCore& core) override;
    void on_command(sarang_fw::DeviceCore& core, const sarang_fw::Command& command) override;

  private:
    bool on_ = false;
};

} // namespace sarang_sim
