#include "door_lock.hpp"

#include "sarang_fw/messages.hpp"

namespace sarang_fw {
namespace {

constexpr std::size_t longest_pin = 16;

} // namespace

std::string DoorLock::status_payload(bool online) {
    messages::Status status;
    status.online = online;
    status.firmware = firmware_;
    if (online)
        status.rssi = hardware_.rssi();
    return messages::status(status);
}

void DoorLock::show(std::string line) {
    if (line == display_)
        return;
    display_ = std::move(line);
    hardware_.show(display_);
}

void DoorLock::submit(DeviceCore& core, const std::string& pin) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (now < locked_out_until_ms_)
        return;
    if (pin.empty() || !core.online()) {
        show(pin.empty() ? "Enter PIN" : "Offline");
        return;
    }
    pending_attempt_ = "k-" + std::to_string(++attempt_counter_);
    core.publish("pin/attempt", messages::pin_attempt(pin, pending_attempt_));
    show("Checking...");
}

void DoorLock::on_command(DeviceCore& core, const Command& command) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (command.subtopic == "pin/verdict") {
        std::optional<messages::PinVerdict> verdict = messages::parse_verdict(command.payload);
        if (!verdict || verdict->attempt_id != pending_attempt_)
            return; // not the answer to what this keypad asked last
        pending_attempt_.clear();
        if (verdict->ok) {
            show("PIN OK");
        } else if (verdict->error == "locked_out") {
            locked_out_until_ms_ =
                now + static_cast<std::uint64_t>(verdict->remaining_seconds.value_or(30)) * 1000;
        } else if (verdict->error == "invalid_pin") {
            show("Wrong PIN, " + std::to_string(verdict->remaining_attempts.value_or(0)) + " left");
        } else {
            show("Try again later");
        }
    } else if (command.subtopic == "control") {
        std::optional<messages::UnlockCommand> unlock = messages::parse_unlock(command.payload);
        if (!unlock)
            return;
        hardware_.relay(true);
        ++unlocks_;
        unlocked_until_ms_ = now + open_ms_;
        show("Open");
        core.answer(command, "status", messages::lock_status(true, unlock->method, unlock->id));
    } else if (command.subtopic == "settings") {
        std::optional<long long> ms = command.payload.whole_number("ms");
        if (ms && *ms >= 1000 && *ms <= 30000)
            open_ms_ = static_cast<std::uint32_t>(*ms);
    }
}

void DoorLock::tick(DeviceCore& core) {
    std::uint64_t now = core.clock().monotonic_ms();
    if (unlocked_until_ms_ != 0 && now >= unlocked_until_ms_) {
        hardware_.relay(false);
        unlocked_until_ms_ = 0;
        core.publish("status", messages::lock_status(false, "", ""));
        show("Enter PIN");
    }
    if (now < locked_out_until_ms_) {
        show("Locked " + std::to_string((locked_out_until_ms_ - now + 999) / 1000) + " s");
        return;
    }
    if (locked_out_until_ms_ != 0) {
        locked_out_until_ms_ = 0;
        show("Enter PIN");
    }
    for (char key = hardware_.read_key(); key != 0; key = hardware_.read_key()) {
        if (key == '*') {
            typed_.clear();
        } else if (key == '#') {
            submit(core, typed_);
            typed_.clear();
        } else if (key >= '0' && key <= '9' && typed_.size() < longest_pin) {
            typed_.push_back(key);
            show(std::string(typed_.size(), '*'));
        }
    }
}

} // namespace sarang_fw
