#include "auth/device_cookie_token.hpp"

#include <algorithm>

namespace sarang::http {
namespace {

bool lower_hex(std::string_view text, std::size_t size) {
    return text.size() == size && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string signature(std::string_view key, std::string_view signed_part) {
    return crypto::hex_encode(crypto::hmac_sha256(key, signed_part));
}

} // namespace

std::string device_cookie_key(std::string_view pepper) {
    crypto::Digest key = crypto::hmac_sha256(pepper, "sarang device cookie signing key v1");
    return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string issue_device_cookie(std::string_view key, long long user_id, DeviceCookie* issued) {
    std::vector<std::uint8_t> nonce_bytes = crypto::random_bytes(32);
    DeviceCookie cookie{user_id, crypto::hex_encode(nonce_bytes.data(), nonce_bytes.size())};
    std::string signed_part = std::to_string(user_id) + "." + cookie.nonce;
    std::string token = signed_part + "." + signature(key, signed_part);
    if (issued != nullptr)
        *issued = std::move(cookie);
    return token;
}

std::optional<DeviceCookie> verify_device_cookie(std::string_view key, std::string_view token) {
    std::size_t first = token.find('.');
    if (first == 0 || first == std::string_view::npos || first > 18)
        return std::nullopt;
    std::string_view id = token.substr(0, first);
    if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        id.front() == '0')
        return std::nullopt;
    std::string_view rest = token.substr(first + 1);
    if (rest.size() != 64 + 1 + 64 || rest[64] != '.')
        return std::nullopt;
    std::string_view nonce = rest.substr(0, 64), presented = rest.substr(65);
    if (!lower_hex(nonce, 64) || !lower_hex(presented, 64))
        return std::nullopt;
    std::string expected = signature(key, token.substr(0, first + 1 + 64));
    if (!crypto::constant_time_equal(expected, presented))
        return std::nullopt;
    return DeviceCookie{std::stoll(std::string(id)), std::string(nonce)};
}

crypto::Digest device_cookie_nonce_hash(std::string_view nonce) {
    return crypto::sha256(nonce);
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        std::size_t end = header.find(';');
        std::string_view pair = header.substr(0, end);
        while (!pair.empty() && pair.front() == ' ')
            pair.remove_prefix(1);
        std::size_t equals = pair.find('=');
        if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
            std::string_view value = pair.substr(equals + 1);
            while (!value.empty() && value.back() == ' ')
                value.remove_suffix(1);
            return std::string(value);
        }
        if (end == std::string_view::npos)
            break;
        header.remove_prefix(end + 1);
    }
    return std::nullopt;
}

std::string device_cookie_header_value(std::string_view token, long long max_age_seconds,
                                       bool secure) {
    return std::string(device_cookie_name) + "=" + std::string(token) +
           "; Path=/api/auth/login; Max-Age=" + std::to_string(max_age_seconds) +
           "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
}

} // namespace sarang::http
