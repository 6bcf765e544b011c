#pragma once
// What an uploaded file really is, by its first bytes: a declared Content-Type or file name
// proves nothing, and the decoder should only ever see the two formats the box sends.
#include <string_view>

namespace sarang::http {

enum class ImageType { jpeg, png, other };

// `head`: the file's first bytes (8 are enough).
ImageType sniff_image(std::string_view head);

} // namespace sarang::http
