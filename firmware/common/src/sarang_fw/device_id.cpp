#include "sarang_fw/device_id.hpp"

namespace sarang_fw {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<std::string> device_id_from_mac(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string id;
    std::size_t in_pair = 0;
    for (char c : text) {
        if (c == ':' || c == '-') {
            if (in_pair != 2)
                return std::nullopt; // a separator only between whole pairs
            in_pair = 0;
            continue;
        }
        int value = hex_value(c);
        if (value < 0 || id.size() == 12)
            return std::nullopt;
        id.push_back(digits[value]);
        in_pair = in_pair == 2 ? 1 : in_pair + 1;
    }
    if (id.size() != 12)
        return std::nullopt;
    return id;
}

std::string device_id_from_mac(const std::array<std::uint8_t, 6>& mac) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string id;
    for (std::uint8_t byte : mac) {
        id.push_back(digits[byte >> 4]);
        id.push_back(digits[byte & 0x0f]);
    }
    return id;
}

bool valid_device_id(std::string_view id) {
    if (id.empty() || id.size() > 64)
        return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace sarang_fw
