#include "jpeg.hpp"

#include <glib.h>
#include <vips/vips8>

namespace sarang_sim {

std::string parcel_photo(int width, int height) {
    try {
        vips::VImage floor =
            vips::VImage::gaussnoise(width, height,
                                     vips::VImage::option()->set("mean", 110.0)->set("sigma", 25.0))
                .cast(VIPS_FORMAT_UCHAR);
        vips::VImage colour = floor.bandjoin(floor).bandjoin(floor);
        colour =
            colour.copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
        colour.draw_rect({150.0, 100.0, 60.0}, width / 4, height / 4, width / 2, height / 2,
                         vips::VImage::option()->set("fill", true));
        void* buffer = nullptr;
        size_t size = 0;
        colour.write_to_buffer(".jpg", &buffer, &size, vips::VImage::option()->set("Q", 80));
        std::string jpeg(static_cast<const char*>(buffer), size);
        g_free(buffer);
        return jpeg;
    } catch (const vips::VError&) {
        return {};
    }
}

} // namespace sarang_sim
