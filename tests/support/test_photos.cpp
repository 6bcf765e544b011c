#include "test_photos.hpp"

#include "stack_env.hpp"

#include <vips/vips8>

namespace sarang::test {
namespace {

using vips::VImage;

constexpr const char* boundary = "sarangBoundary7MA4YWxk";

std::string encode(const VImage& image, const char* suffix, int quality) {
    void* data = nullptr;
    size_t size = 0;
    if (quality > 0)
        image.write_to_buffer(suffix, &data, &size, VImage::option()->set("Q", quality));
    else
        image.write_to_buffer(suffix, &data, &size);
    std::string bytes(static_cast<const char*>(data), size);
    g_free(data);
    return bytes;
}

} // namespace

ParcelBox make_parcel_box(const std::string& stem) {
    ParcelBox box{create_account(unique_id(stem + "-user")), unique_id(stem), ""};
    box.credential =
        create_device(box.id, "parcel-box", "--id " + box.id + " --owner " + box.owner.username);
    return box;
}

std::string test_jpeg(int width, int height, int orientation) {
    VImage image = VImage::black(width, height, VImage::option()->set("bands", 3)) + 128;
    image = image.cast(VIPS_FORMAT_UCHAR).copy();
    if (orientation != 1)
        image.set("orientation", orientation);
    return encode(image, ".jpg", 90);
}

std::string noisy_jpeg(int width, int height) {
    auto band = [&] {
        return VImage::gaussnoise(width, height, VImage::option()->set("sigma", 60.0));
    };
    return encode(band().bandjoin(band()).bandjoin(band()).cast(VIPS_FORMAT_UCHAR), ".jpg", 90);
}

std::string test_png(int width, int height) {
    VImage image = (VImage::black(width, height, VImage::option()->set("bands", 3)) + 60)
                       .cast(VIPS_FORMAT_UCHAR);
    return encode(image, ".png", 0);
}

std::string package_upload_content_type() {
    return std::string("multipart/form-data; boundary=") + boundary;
}

std::string package_upload_body(const std::string& photo, const std::string& meta) {
    std::string b = boundary;
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + meta +
           "\r\n--" + b +
           "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n"
           "Content-Type: image/jpeg\r\n\r\n" +
           photo + "\r\n--" + b + "--\r\n";
}

HttpResult upload_package(const std::string& credential, const std::string& photo,
                          const std::string& meta) {
    return http_request(
        stack_env().http_port, "POST", "/api/v1/packages", package_upload_body(photo, meta),
        {{"Content-Type", package_upload_content_type()}, {"X-API-Key", credential}});
}

} // namespace sarang::test
