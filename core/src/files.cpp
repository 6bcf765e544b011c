#include "sarang/files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sarang {

std::string read_file(const std::string& path, std::size_t max_bytes) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << file.rdbuf();
    if (text.str().size() > max_bytes)
        throw std::runtime_error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    return text.str();
}

} // namespace sarang
