#pragma once
// The device cookie's token (OWASP "Slow Down Online Guessing Attacks with Device Cookies"):
//   <user id>.<nonce, 64 hex digits>.<HMAC-SHA256(key, "<user id>.<nonce>"), 64 hex digits>
// The key is derived from auth.pepper, so a forged or altered token is refused without a
// database lookup; the nonce is stored only as SHA-256 (device_cookies.nonce_hash), so a
// database dump does not hand out cookies. Pure logic.
#include "sarang/crypto.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sarang::http {

inline constexpr std::string_view device_cookie_name = "sarang_device";
inline constexpr std::string_view device_cookie_header = "x-device-cookie"; // apps send it here

struct DeviceCookie {
    long long user_id = 0;
    std::string nonce; // 64 lower-case hex digits
};

// The signing key: HMAC(pepper, a fixed label), so it differs from every other use of the pepper.
std::string device_cookie_key(std::string_view pepper);
// A new token for `user_id` with a fresh random nonce.
std::string issue_device_cookie(std::string_view key, long long user_id, DeviceCookie* issued);
// The cookie the token names, if it is well-formed and its signature is right (compared in
// constant time).
std::optional<DeviceCookie> verify_device_cookie(std::string_view key, std::string_view token);
// What device_cookies.nonce_hash holds for a nonce.
crypto::Digest device_cookie_nonce_hash(std::string_view nonce);
// The value of cookie `name` in a Cookie header ("a=1; sarang_device=...; b=2"), if present.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);
// The Set-Cookie value: HttpOnly, SameSite=Strict, sent only to the login path, Secure on HTTPS.
std::string device_cookie_header_value(std::string_view token, long long max_age_seconds,
                                       bool secure);

} // namespace sarang::http
