#pragma once
// Secrets: random tokens, SHA-256/HMAC for high-entropy tokens, argon2id for human secrets.
// All functions are thread-safe. None of them may run argon2id on the broker thread or on an
// HTTP polling thread: it is slow by design.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::crypto {

using Digest = std::array<std::uint8_t, 32>;

// Cryptographically secure bytes (OpenSSL RAND_bytes); throws std::runtime_error on failure.
std::vector<std::uint8_t> random_bytes(std::size_t count);
// 256 bits of randomness, base64url without padding (43 characters).
std::string random_token();

Digest sha256(std::string_view data);
// SHA-256 of a file's bytes, read in pieces (backups: dumps may be larger than memory); throws
// std::runtime_error naming the file when it cannot be read.
Digest sha256_file(const std::string& path);
Digest hmac_sha256(std::string_view key, std::string_view data);
// SHA-512 as 128 lower-case hex digits (payment gateways sign with it: Midtrans).
std::string sha512_hex(std::string_view data);

// Compares in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);
inline bool constant_time_equal(const Digest& a, const Digest& b) {
    return constant_time_equal({reinterpret_cast<const char*>(a.data()), a.size()},
                               {reinterpret_cast<const char*>(b.data()), b.size()});
}

std::string hex_encode(const std::uint8_t* data, std::size_t size);
inline std::string hex_encode(const Digest& digest) {
    return hex_encode(digest.data(), digest.size());
}
// nullopt for odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);
// The value of one hex digit (either case), or -1.
int hex_digit_value(char c);
std::string base64url_encode(const std::uint8_t* data, std::size_t size);

struct Argon2Params {
    std::uint32_t time_cost = 3;
    std::uint32_t memory_kib = 64 * 1024;
    std::uint32_t parallelism = 1;
};
// Encoded argon2id string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) with a random salt.
std::string argon2id_hash(std::string_view secret, const Argon2Params& params);
bool argon2id_verify(std::string_view encoded, std::string_view secret);

} // namespace sarang::crypto
