#pragma once
// One id everywhere: the MAC without separators, upper case (44:1d:64:be:22:08 ->
// 441D64BE2208), exactly as the provisioning plugin normalises it. Seed 000 lost days to a
// registration id and an MQTT client id that differed.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sarang_fw {

// nullopt unless text is 12 hex digits, optionally separated by ':' or '-' between pairs.
std::optional<std::string> device_id_from_mac(std::string_view text);
std::string device_id_from_mac(const std::array<std::uint8_t, 6>& mac);

// 1-64 of A-Z a-z 0-9 _ - (the broker's rule for device ids and claim client ids).
bool valid_device_id(std::string_view id);

} // namespace sarang_fw
