#pragma once
// What the vending logic needs from the machine: one motor per slot, the drop sensor, slot
// levels, the cabinet's temperature and door. The sketch implements it with GPIOs; sarang-sim
// with random numbers.
#include "sarang_fw/messages.hpp"

#include <vector>

namespace sarang_fw {

class VendingHardware {
  public:
    virtual ~VendingHardware() = default;
    virtual void run_motor(int slot, bool on) = 0;
    // The infrared drop sensor saw an item fall since the motor started.
    virtual bool drop_detected() = 0;
    virtual std::vector<messages::SlotLevel> slot_levels() = 0;
    virtual double temperature_c() = 0;
    virtual bool door_closed() = 0;
    virtual int rssi() = 0;
};

} // namespace sarang_fw
