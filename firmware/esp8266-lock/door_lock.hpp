#pragma once
// Seed 004's keypad lock, without the seed's stored PIN: digits then '#' send
// {prefix}/pin/attempt {"pin","attemptId"}; the broker checks it and answers
// {prefix}/pin/verdict; the door opens only on {prefix}/control {"action":"unlock"}, for
// `ms` (settings), and the lock reports {prefix}/status {"state","method"[,"id"]}. '*'
// clears. While the broker says the lock is locked out, the display counts down and the
// keypad sends nothing.
#include "lock_hardware.hpp"
#include "sarang_fw/device_core.hpp"

namespace sarang_fw {

class DoorLock : public DeviceApp {
  public:
    DoorLock(LockHardware& hardware, std::string firmware)
        : hardware_(hardware), firmware_(std::move(firmware)) {}

    std::string status_payload(bool online) override;
    void on_command(DeviceCore& core, const Command& command) override;
    void tick(DeviceCore& core) override;

    // What '#' does with the typed digits (the keypad, or sarang-sim typing for a person).
    void submit(DeviceCore& core, const std::string& pin);
    bool unlocked() const { return unlocked_until_ms_ != 0; }
    std::uint64_t unlocks() const { return unlocks_; }
    const std::string& display() const { return display_; }

  private:
    void show(std::string line);

    LockHardware& hardware_;
    std::string firmware_;
    std::string typed_;
    std::string pending_attempt_;
    std::uint32_t attempt_counter_ = 0;
    std::uint32_t open_ms_ = 3000;
    std::uint64_t unlocked_until_ms_ = 0;
    std::uint64_t locked_out_until_ms_ = 0;
    std::uint64_t unlocks_ = 0;
    std::string display_;
};

} // namespace sarang_fw
