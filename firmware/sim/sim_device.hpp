#pragma once
// One simulated device: the real DeviceCore and the real device logic of its kind over
// simulated parts, a libmosquitto transport and an in-memory NVS kept in the state file.
#include "../esp32-env-sensor/env_sensor.hpp"
#include "../esp32-vending/vending_machine.hpp"
#include "../esp32cam-parcel/parcel_box.hpp"
#include "../esp8266-lock/door_lock.hpp"
#include "../host/curl_http.hpp"
#include "../host/mosquitto_transport.hpp"
#include "../rpi-hydro/hydro_probe.hpp"
#include "options.hpp"
#include "sim_hardware.hpp"
#include "state_file.hpp"

#include <memory>

namespace sarang_sim {

class SimDevice {
  public:
    // troubled: a hydro probe in a tank that wanders out of its healthy range (--troubled).
    SimDevice(const Options& options, DeviceRecord& record, SystemClock& clock,
              SystemRandom& random, bool troubled = false);

    void poll();
    bool online() const { return core_->online(); }
    sarang_fw::DeviceCore::Phase phase() const { return core_->phase(); }
    const std::string& last_error() const { return core_->last_error(); }
    DeviceRecord& record() { return record_; }
    // Copies the NVS into the record when it changed; true then.
    bool sync_record();
    // Shutdown: say offline, then disconnect once the broker has it (or after `done`).
    void say_offline();
    bool quiet() const { return transport_.unacknowledged() == 0; }
    void disconnect();

  private:
    std::unique_ptr<sarang_fw::DeviceApp> make_app(const Options& options, SystemClock& clock,
                                                   SystemRandom& random, bool troubled);

    DeviceRecord& record_;
    sarang_fw::host::MemoryStore store_;
    sarang_fw::host::MosquittoTransport transport_;
    sarang_fw::host::CurlHttp http_;
    std::unique_ptr<sarang_fw::Adc> adc_;
    std::unique_ptr<sarang_fw::EnvHardware> env_;
    std::unique_ptr<sarang_fw::VendingHardware> vending_;
    std::unique_ptr<sarang_fw::ParcelHardware> parcel_;
    std::unique_ptr<SimLock> lock_;
    std::unique_ptr<sarang_fw::DeviceApp> app_;
    std::unique_ptr<sarang_fw::DeviceCore> core_;
    std::uint64_t synced_version_ = 0;
    std::string keypad_pin_;
    bool typed_ = false;
};

} // namespace sarang_sim
