#pragma once
// Images and package uploads for the tests of the parcel box's photo path (libvips makes real
// JPEG and PNG files, so the sidecar decodes what a camera would send).
#include "api_session.hpp"
#include "http_client.hpp"

#include <string>

namespace sarang::test {

// A parcel box owned by a new account of its own.
struct ParcelBox {
    AppAccount owner;
    std::string id;
    std::string credential;
};
ParcelBox make_parcel_box(const std::string& stem);

// A flat grey JPEG; orientation != 1 sets the EXIF orientation tag.
std::string test_jpeg(int width, int height, int orientation = 1);
// A JPEG of random noise: large for its size and slow to recompress, like a detailed photo.
std::string noisy_jpeg(int width, int height);
std::string test_png(int width, int height);

// POST /api/v1/packages as the device: multipart with the `meta` field and the `photo` file.
HttpResult upload_package(const std::string& credential, const std::string& photo,
                          const std::string& meta);
// The multipart body upload_package sends, and its Content-Type.
std::string package_upload_body(const std::string& photo, const std::string& meta);
std::string package_upload_content_type();

} // namespace sarang::test
