#include "sarang/crypto.hpp"

#include <argon2.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdexcept>

namespace sarang::crypto {

std::vector<std::uint8_t> random_bytes(std::size_t count) {
    std::vector<std::uint8_t> bytes(count);
    if (count > 0 && RAND_bytes(bytes.data(), static_cast<int>(count)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return bytes;
}

std::string random_token() {
    std::vector<std::uint8_t> bytes = random_bytes(32);
    return base64url_encode(bytes.data(), bytes.size());
}

Digest sha256(std::string_view data) {
    Digest digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return digest;
}

Digest sha256_file(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file)
        throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    std::vector<char> buffer(1 << 16);
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
        if (EVP_DigestUpdate(context.get(), buffer.data(), got) != 1)
            throw std::runtime_error("SHA-256 failed");
    }
    if (std::ferror(file.get()))
        throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    Digest digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1)
        throw std::runtime_error("SHA-256 failed");
    return digest;
}

std::string sha512_hex(std::string_view data) {
    std::array<std::uint8_t, 64> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha512(), nullptr) != 1)
        throw std::runtime_error("SHA-512 failed");
    return hex_encode(digest.data(), digest.size());
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
    Digest digest{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
             &length) == nullptr)
        throw std::runtime_error("HMAC-SHA256 failed");
    return digest;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(const std::uint8_t* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0x0f];
    }
    return out;
}

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<std::string> hex_decode(std::string_view hex) {
    auto nibble = hex_digit_value;
    if (hex.size() % 2 != 0)
        return std::nullopt;
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int high = nibble(hex[i]);
        int low = nibble(hex[i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        out += static_cast<char>((high << 4) | low);
    }
    return out;
}

std::string base64url_encode(const std::uint8_t* data, std::size_t size) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 2 < size; i += 3) {
        std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (size - i == 1) {
        std::uint32_t n = data[i] << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
    } else if (size - i == 2) {
        std::uint32_t n = (data[i] << 16) | (data[i + 1] << 8);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
    }
    return out;
}

std::string argon2id_hash(std::string_view secret, const Argon2Params& params) {
    constexpr std::size_t salt_length = 16;
    constexpr std::size_t hash_length = 32;
    std::vector<std::uint8_t> salt = random_bytes(salt_length);
    std::size_t encoded_length =
        argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism, salt_length,
                          hash_length, Argon2_id);
    std::string encoded(encoded_length, '\0');
    int rc = ::argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                     secret.data(), secret.size(), salt.data(), salt.size(),
                                     hash_length, encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
    encoded.resize(std::strlen(encoded.c_str()));
    return encoded;
}

bool argon2id_verify(std::string_view encoded, std::string_view secret) {
    std::string encoded_copy(encoded); // argon2 wants a NUL-terminated string
    return ::argon2id_verify(encoded_copy.c_str(), secret.data(), secret.size()) == ARGON2_OK;
}

} // namespace sarang::crypto
