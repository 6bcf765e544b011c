#pragma once
// A small real JPEG for the parcel box's camera: a brown parcel on a noisy floor, made with
// libvips (the sidecar decodes and recompresses it, so it has to be a real image).
#include <string>

namespace sarang_sim {

// Needs VIPS_INIT first. Empty when libvips fails.
std::string parcel_photo(int width = 320, int height = 240);

} // namespace sarang_sim
