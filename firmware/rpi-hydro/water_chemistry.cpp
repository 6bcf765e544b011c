#include "water_chemistry.hpp"

#include <algorithm>

namespace sarang_fw {

double tds_ppm(double volts, double water_temperature_c) {
    double compensated = volts / (1.0 + 0.02 * (water_temperature_c - 25.0));
    double ppm = (133.42 * compensated * compensated * compensated -
                  255.86 * compensated * compensated + 857.39 * compensated) *
                 0.5;
    return std::clamp(ppm, 0.0, 5000.0);
}

double ph_value(double volts, const PhCalibration& calibration) {
    double per_ph = (calibration.volts_at_ph4 - calibration.volts_at_ph7) / (4.0 - 7.0);
    double ph = 7.0 + (volts - calibration.volts_at_ph7) / per_ph;
    return std::clamp(ph, 0.0, 14.0);
}

} // namespace sarang_fw
