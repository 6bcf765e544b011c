#pragma once
// Seed 004's box: a parcel in the ultrasonic window (ultra.min..ultra.max cm) is detected
// (event), photographed and uploaded over HTTP with the device credential (photo/status),
// then the holder opens for lock.ms and the buzzer sounds for buzzer.ms (buzzOn/buzzOff).
// control (capture, flash, buzzer, holder, pipeline stop) and settings/set come from the
// backend; control/ack, settings/ack and settings/cur go back.
#include "parcel_hardware.hpp"
#include "sarang_fw/device_core.hpp"
#include "sarang_fw/messages.hpp"

namespace sarang_fw {

class ParcelBox : public DeviceApp {
  public:
    ParcelBox(ParcelHardware& hardware, HttpClient& http, std::string upload_url,
              std::string firmware)
        : hardware_(hardware), http_(http), upload_url_(std::move(upload_url)),
          firmware_(std::move(firmware)) {}

    std::string status_payload(bool online) override;
    void on_online(DeviceCore& core) override;
    void on_command(DeviceCore& core, const Command& command) override;
    void tick(DeviceCore& core) override;

    const messages::ParcelSettings& settings() const { return settings_; }
    std::uint64_t uploads() const { return uploads_; }

  private:
    enum class Stage { watching, holding, buzzing, cooling_down };
    // Photographs and uploads; true when the backend stored the photo.
    bool capture_and_upload(DeviceCore& core, double cm, const char* reason);
    void control(DeviceCore& core, const Command& command);
    void change_settings(DeviceCore& core, const Command& command);
    void stop_pipeline();

    ParcelHardware& hardware_;
    HttpClient& http_;
    std::string upload_url_;
    std::string firmware_;
    messages::ParcelSettings settings_;
    Stage stage_ = Stage::watching;
    std::uint64_t stage_until_ms_ = 0;
    std::uint64_t next_measure_ms_ = 0;
    std::uint64_t next_buzz_toggle_ms_ = 0;
    bool buzzing_on_ = false;
    bool from_detection_ = false;
    bool was_in_window_ = false;
    double last_cm_ = 0;
    std::uint64_t uploads_ = 0;
};

} // namespace sarang_fw
