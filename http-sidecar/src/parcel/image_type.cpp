#include "image_type.hpp"

namespace sarang::http {

ImageType sniff_image(std::string_view head) {
    constexpr std::string_view jpeg("\xFF\xD8\xFF", 3);
    constexpr std::string_view png("\x89PNG\r\n\x1A\n", 8);
    if (head.starts_with(jpeg))
        return ImageType::jpeg;
    if (head.starts_with(png))
        return ImageType::png;
    return ImageType::other;
}

} // namespace sarang::http
