#include "iio_adc.hpp"

#include <fstream>

namespace sarang_fw {
namespace {

std::optional<double> read_number(const std::string& path) {
    std::ifstream file(path);
    double value = 0;
    if (!(file >> value))
        return std::nullopt;
    return value;
}

} // namespace

std::optional<double> IioAdc::volts(int channel) {
    std::string stem = dir_ + "/in_voltage" + std::to_string(channel);
    std::optional<double> raw = read_number(stem + "_raw");
    std::optional<double> scale = read_number(stem + "_scale");
    if (!raw || !scale)
        return std::nullopt;
    return *raw * *scale / 1000.0;
}

} // namespace sarang_fw
