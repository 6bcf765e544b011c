#pragma once
// A digest that differs from others in its first byte: stands in for credential hashes.
#include "sarang/crypto.hpp"

namespace sarang::test {

inline crypto::Digest digest(std::uint8_t first) {
    crypto::Digest value{};
    value[0] = first;
    return value;
}

} // namespace sarang::test
