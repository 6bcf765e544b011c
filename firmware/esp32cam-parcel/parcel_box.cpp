#include "parcel_box.hpp"

namespace sarang_fw {
namespace {

constexpr std::uint32_t measure_every_ms = 1000;
// After a parcel the box waits before it looks again, so one parcel is one package.
constexpr std::uint32_t cool_down_ms = 10000;

} // namespace

std::string ParcelBox::status_payload(bool online) {
    messages::Status status;
    status.online = online;
    status.firmware = firmware_;
    if (online)
        status.rssi = hardware_.rssi();
    return messages::status(status);
}

void ParcelBox::on_online(DeviceCore& core) {
    core.publish("settings/cur", messages::parcel_settings(settings_));
}

void ParcelBox::on_command(DeviceCore& core, const Command& command) {
    if (command.subtopic == "control")
        control(core, command);
    else if (command.subtopic == "settings/set")
        change_settings(core, command);
}

void ParcelBox::tick(DeviceCore& core) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (stage_ == Stage::holding && now >= stage_until_ms_ && !from_detection_) {
        hardware_.holder(false);
        stage_ = Stage::watching;
    } else if (stage_ == Stage::holding && now >= stage_until_ms_) {
        hardware_.holder(false);
        stage_ = Stage::buzzing;
        stage_until_ms_ = now + static_cast<std::uint64_t>(settings_.buzzer_ms);
        next_buzz_toggle_ms_ = now;
        buzzing_on_ = false;
    }
    if (stage_ == Stage::buzzing) {
        if (now >= stage_until_ms_) {
            hardware_.buzzer(false);
            stage_ = Stage::cooling_down;
            stage_until_ms_ = now + cool_down_ms;
        } else if (now >= next_buzz_toggle_ms_) {
            buzzing_on_ = !buzzing_on_;
            hardware_.buzzer(buzzing_on_);
            next_buzz_toggle_ms_ =
                now + static_cast<std::uint64_t>(buzzing_on_ ? settings_.buzz_on_ms
                                                             : settings_.buzz_off_ms);
        }
    }
    if (stage_ == Stage::cooling_down && now >= stage_until_ms_)
        stage_ = Stage::watching;
    if (now < next_measure_ms_)
        return;
    next_measure_ms_ = now + measure_every_ms;
    std::optional<double> cm = hardware_.distance_cm();
    if (!cm)
        return;
    if (*cm != last_cm_)
        core.publish("sensor/distance", messages::parcel_distance(*cm, core.clock().epoch_ms()));
    last_cm_ = *cm;
    // A parcel is its arrival in the window: one that stays there is not photographed again.
    bool in_window = *cm >= settings_.ultra_min_cm && *cm <= settings_.ultra_max_cm;
    bool arrived = in_window && !was_in_window_;
    was_in_window_ = in_window;
    if (stage_ != Stage::watching || !arrived)
        return;
    core.publish("event", messages::parcel_event("detect", *cm, core.clock().epoch_ms()));
    capture_and_upload(core, *cm, "detect");
    hardware_.holder(true);
    from_detection_ = true;
    stage_ = Stage::holding;
    stage_until_ms_ = now + static_cast<std::uint64_t>(settings_.lock_ms);
}

bool ParcelBox::capture_and_upload(DeviceCore& core, double cm, const char* reason) {
    std::string jpeg = hardware_.capture_jpeg();
    if (jpeg.empty()) {
        core.publish("photo/status", messages::parcel_photo_status(false, "", "camera"));
        return false;
    }
    HttpReply reply =
        http_.post_photo(upload_url_, core.password(), jpeg,
                         messages::parcel_upload_meta(core.device_name(), cm, reason, firmware_));
    std::string url;
    if (std::optional<Json> body = Json::parse(reply.body))
        url = body->view().string("photoUrl").value_or("");
    bool ok = reply.status == 200 || reply.status == 201;
    if (ok)
        ++uploads_;
    core.publish(
        "photo/status",
        messages::parcel_photo_status(
            ok, url, ok ? "" : "upload failed (HTTP " + std::to_string(reply.status) + ")"));
    return ok;
}

void ParcelBox::control(DeviceCore& core, const Command& command) {
    messages::ParcelControl control = messages::parse_parcel_control(command.payload);
    using Action = messages::ParcelControl::Action;
    std::uint64_t now = core.clock().monotonic_ms();
    bool ok = true;
    std::string error;
    switch (control.action) {
    case Action::capture:
        ok = capture_and_upload(core, last_cm_, "manual");
        if (!ok)
            error = "upload failed";
        break;
    case Action::flash:
        // A pulse is short (at most 5 s); the camera's flash LED has no timer of its own.
        hardware_.flash(control.state == "on" || control.state == "pulse");
        if (control.state == "pulse")
            hardware_.flash(false);
        break;
    case Action::buzzer:
        if (control.state == "stop") {
            hardware_.buzzer(false);
            if (stage_ == Stage::buzzing)
                stage_until_ms_ = now;
        } else {
            stage_ = Stage::buzzing;
            stage_until_ms_ =
                now + static_cast<std::uint64_t>(control.ms.value_or(settings_.buzzer_ms));
            next_buzz_toggle_ms_ = now;
        }
        break;
    case Action::holder:
        if (control.state == "closed") {
            hardware_.holder(false);
            if (stage_ == Stage::holding)
                stage_until_ms_ = now;
        } else {
            hardware_.holder(true);
            from_detection_ = false; // a manual opening is not followed by the buzzer
            stage_ = Stage::holding;
            stage_until_ms_ =
                now + static_cast<std::uint64_t>(control.ms.value_or(settings_.lock_ms));
        }
        break;
    case Action::pipeline:
        stop_pipeline();
        break;
    case Action::unknown:
        ok = false;
        error = "unknown control";
        break;
    }
    core.answer(command, "control/ack",
                messages::control_ack(control.name.empty() ? "unknown" : control.name, ok, error,
                                      command.id));
}

void ParcelBox::change_settings(DeviceCore& core, const Command& command) {
    std::optional<messages::ParcelSettings> next =
        messages::apply_parcel_settings(settings_, command.payload);
    if (!next) {
        core.answer(command, "settings/ack",
                    messages::settings_ack(false, "value out of range", command.id));
        return;
    }
    settings_ = *next;
    core.answer(command, "settings/ack", messages::settings_ack(true, "", command.id));
    core.publish("settings/cur", messages::parcel_settings(settings_));
}

void ParcelBox::stop_pipeline() {
    hardware_.holder(false);
    hardware_.buzzer(false);
    stage_ = Stage::watching;
}

} // namespace sarang_fw
