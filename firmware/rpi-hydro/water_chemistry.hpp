#pragma once
// Probe voltages to values: the common analog TDS board (DFRobot SEN0244 curve, temperature
// compensated) and a pH board calibrated at two buffer solutions.
#include <optional>

namespace sarang_fw {

// TDS in ppm for the probe's voltage at the water's temperature (25 °C when unknown).
double tds_ppm(double volts, double water_temperature_c = 25.0);

struct PhCalibration {
    double volts_at_ph7 = 2.50;
    double volts_at_ph4 = 3.05;
};
// pH from the voltage, clamped to 0-14.
double ph_value(double volts, const PhCalibration& calibration = {});

} // namespace sarang_fw
