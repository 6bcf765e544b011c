#pragma once
// Whole small files (certificates, keys, manifests, configs) read at once.
#include <cstddef>
#include <limits>
#include <string>

namespace sarang {

// The file's bytes; throws std::runtime_error naming the path and the reason when it cannot be
// read or holds more than `max_bytes`.
std::string read_file(const std::string& path,
                      std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

} // namespace sarang
