// sarang-photo-bench: the sidecar's parcel photo pipeline (issue #8 item 7), one image at a time.
//
//   sarang-photo-bench --make FILE [--width 1600] [--height 1200] [--orientation 6]
//       writes a photo-like JPEG (gradients, soft blobs, sensor noise; quality 90) with an EXIF
//       orientation tag, the input for this tool and bench/photo_sharp.mjs; the noise has fixed
//       seeds, so it is the same file every time
//   sarang-photo-bench --input FILE [--iterations 60] [--warmup 3] [--out DIR] [--store]
//       runs http::render_photo() (decode, autorotate, JPEG q85, 300x300 cover thumbnail q70;
//       the very function PhotoStore::store() calls) ITERATIONS times in a row and prints
//       images/s over wall time and over the process's CPU time. --store times the whole of
//       PhotoStore::store() instead (temporary names, fsync, rename) under DIR, removing each
//       photo again.
//
// Single core: run with VIPS_CONCURRENCY=1 (bench/photo.sh does); the libvips operation cache is
// off as in the sidecar (init_image_library).
#include "bench_args.hpp"
#include "parcel/photo_store.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vips/vips8>

namespace {

using vips::VImage;

double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long long file_size(const std::string& path) {
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    return error ? -1 : static_cast<long long>(size);
}

// Something a JPEG decoder has to work for: smooth gradients and soft blobs (the scene), fine
// noise (the sensor) and a few hard edges, in three correlated colour bands.
void make_photo(const std::string& path, int width, int height, int orientation) {
    VImage xy = VImage::xyz(width, height);
    VImage x = xy[0], y = xy[1];
    // (vips' sin and cos take degrees: periods of 200 and 144 pixels)
    VImage scene = (x * (120.0 / width) + y * (60.0 / height) + 20.0) +
                   ((x * 1.8).sin() * 15.0 + (y * 2.5).cos() * 15.0);
    // Soft blobs: low-resolution noise blown up with a smooth kernel.
    VImage blobs =
        VImage::gaussnoise(width / 40, height / 40,
                           VImage::option()->set("sigma", 30.0)->set("mean", 0.0)->set("seed", 1))
            .resize(40.0, VImage::option()->set("kernel", VIPS_KERNEL_CUBIC));
    blobs = blobs.embed(0, 0, width, height, VImage::option()->set("extend", VIPS_EXTEND_COPY));
    // Hard edges: a bright window frame.
    VImage frame =
        ((x > width * 0.6) & (x < width * 0.62)) | ((y > height * 0.3) & (y < height * 0.32));
    std::vector<VImage> bands;
    const double tint[3][2] = {{1.0, 0.9}, {0.85, 1.0}, {0.7, 0.8}};
    for (int band = 0; band < 3; ++band) {
        VImage noise = VImage::gaussnoise(
            width, height,
            VImage::option()->set("sigma", 6.0)->set("mean", 0.0)->set("seed", 2 + band));
        bands.push_back(scene * tint[band][0] + blobs * tint[band][1] + noise +
                        frame.ifthenelse(60, 0));
    }
    VImage photo = VImage::bandjoin(bands)
                       .cast(VIPS_FORMAT_UCHAR)
                       .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    photo = photo.copy_memory();
    if (orientation != 1)
        photo.set("orientation", orientation);
    photo.jpegsave(path.c_str(), VImage::option()->set("Q", 90));
}

int run(const std::string& input, int iterations, int warmup, const std::string& out, bool store) {
    std::filesystem::create_directories(out);
    std::string photo = out + "/photo.jpg", thumb = out + "/thumb.jpg";
    sarang::http::PhotoStore photo_store(out);
    long long photo_bytes = 0, thumb_bytes = 0;
    auto once = [&] {
        if (store) {
            sarang::http::StoredPhoto stored = photo_store.store(input);
            photo_bytes = file_size(photo_store.path_of(stored.photo));
            thumb_bytes = file_size(photo_store.path_of(stored.thumb));
            photo_store.remove(stored);
        } else {
            sarang::http::render_photo(input, photo, thumb);
        }
    };
    for (int i = 0; i < warmup; ++i)
        once();
    double cpu_start = cpu_seconds();
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i)
        once();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu = cpu_seconds() - cpu_start;
    if (!store) {
        photo_bytes = file_size(photo);
        thumb_bytes = file_size(thumb);
        VImage p = VImage::new_from_file(photo.c_str()), t = VImage::new_from_file(thumb.c_str());
        std::printf("output: photo=%dx%d thumb=%dx%d\n", p.width(), p.height(), t.width(),
                    t.height());
    }
    std::printf("sarang%s: images=%d wall_s=%.3f images_per_s=%.2f cpu_s=%.3f "
                "images_per_cpu_s=%.2f ms_per_image=%.2f photo_bytes=%lld thumb_bytes=%lld "
                "vips=%s concurrency=%d\n",
                store ? "-store" : "", iterations, wall, iterations / wall, cpu, iterations / cpu,
                wall * 1000.0 / iterations, photo_bytes, thumb_bytes, vips_version_string(),
                vips_concurrency_get());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    using sarang::bench::argument;
    auto number = [&](const char* name, int fallback) {
        return std::atoi(argument(argc, argv, name, std::to_string(fallback).c_str()));
    };
    bool store = false;
    for (int i = 1; i < argc; ++i)
        store = store || std::string(argv[i]) == "--store";
    try {
        sarang::http::init_image_library(argv[0]);
        std::string make = argument(argc, argv, "--make", "");
        if (!make.empty()) {
            make_photo(make, number("--width", 1600), number("--height", 1200),
                       number("--orientation", 6));
            std::printf("made %s (%lld bytes)\n", make.c_str(), file_size(make));
            return 0;
        }
        std::string input = argument(argc, argv, "--input", "");
        if (input.empty()) {
            std::fprintf(stderr, "usage: %s --make FILE | --input FILE [--iterations N]\n",
                         argv[0]);
            return 2;
        }
        std::string out = argument(argc, argv, "--out", "");
        if (out.empty())
            out = "/tmp/sarang-photo-bench." + std::to_string(::getpid());
        return run(input, number("--iterations", 60), number("--warmup", 3), out, store);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "sarang-photo-bench: %s\n", error.what());
        return 1;
    }
}
