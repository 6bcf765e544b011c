// POST /api/v1/packages (seed 004): the ESP32-CAM uploads a parcel photo with its own device
// credential (Authorization: Bearer or X-API-Key), as multipart/form-data with a `photo` file and
// a `meta` JSON field {"deviceId", "distanceCm", "reason", "firmware"}.
//
// The server checks the device credential from the headers, then spools the photo to disk as it
// arrives (Router::add_upload, limit storage.max_upload_bytes: 413, answered before the body when
// Content-Length says so; 401 likewise, before any byte is spooled). The same check before the
// body refuses a device that is not a parcel box (403) and a box that already has
// storage.uploads_per_device uploads open on this sidecar (429): no other credential, and no one
// box, can hold the spool with slow uploads. Here,
// on the slow lane: 415 unless the first bytes say JPEG or PNG, libvips makes the q85 photo and
// the 300x300 q70 thumbnail, then one transaction records the package and its package_received
// notification. Files first, row second: a failure in between removes the files, a crash leaves
// files that the storage sweep removes (docs/parcel.md).
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "parcel/image_type.hpp"
#include "parcel/package_meta.hpp"
#include "parcel/photo_store.hpp"
#include "sarang/log.hpp"
#include "time_text.hpp"

#include <fstream>
#include <map>
#include <mutex>

namespace sarang::http {
namespace {

const UploadedFile& photo_part(const Request& request) {
    for (const UploadedFile& file : request.files) {
        if (file.field == "photo")
            return file;
    }
    throw HttpError(400, "photo_missing", "send the image as the multipart file field 'photo'");
}

std::string first_bytes(const std::string& path) {
    char head[8] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(head, sizeof head);
    return std::string(head, static_cast<std::size_t>(in.gcount()));
}

// Removes the files unless the package row that references them committed.
class FilesGuard {
  public:
    FilesGuard(const PhotoStore& store, StoredPhoto photo) : store_(store), photo_(photo) {}
    ~FilesGuard() {
        if (!kept_)
            store_.remove(photo_);
    }
    FilesGuard(const FilesGuard&) = delete;
    FilesGuard& operator=(const FilesGuard&) = delete;
    void keep() { kept_ = true; }

  private:
    const PhotoStore& store_;
    StoredPhoto photo_;
    bool kept_ = false;
};

std::string optional_number(const std::optional<double>& value) {
    return value ? std::to_string(*value) : std::string();
}

constexpr const char* parcel_box = "parcel-box";

// Uploads open per device on this sidecar; a place is held by the request's admission.
class UploadPlaces {
  public:
    // Gives the place back when the last copy of the admission goes.
    struct Place {
        UploadPlaces& places;
        std::string device;
        ~Place() { places.give_back(device); }
    };

    Admission take(const std::string& device, int limit) {
        std::lock_guard lock(mutex_);
        int& open = open_[device];
        if (open >= limit)
            return nullptr;
        ++open;
        return std::shared_ptr<Place>(new Place{*this, device}); // not a copied temporary
    }

  private:
    void give_back(const std::string& device) noexcept {
        std::lock_guard lock(mutex_);
        if (auto found = open_.find(device); found != open_.end() && --found->second <= 0)
            open_.erase(found);
    }
    std::mutex mutex_;
    std::map<std::string, int> open_;
};

UploadPlaces& upload_places() {
    static UploadPlaces places;
    return places;
}

Admission admit_upload(Services& services, const Request& request) {
    const DeviceCaller& device = request.device();
    if (device.kind != parcel_box)
        throw HttpError(403, "forbidden", "only a parcel box uploads package photos");
    Admission place = upload_places().take(device.id, services.storage.uploads_per_device);
    if (!place) {
        Response busy = error_response(429, "upload_in_progress",
                                       "this device already has an upload in progress; send one "
                                       "photo at a time");
        busy.headers.emplace_back("Retry-After", "5");
        throw HttpError(std::move(busy));
    }
    return place;
}

Response upload_package(Services& services, const Request& request) {
    const DeviceCaller& device = request.device();
    if (device.kind != parcel_box)
        throw HttpError(403, "forbidden", "only a parcel box uploads package photos");
    const UploadedFile& photo = photo_part(request);
    if (sniff_image(first_bytes(photo.path)) == ImageType::other)
        throw HttpError(415, "unsupported_media_type", "the photo must be a JPEG or PNG image");
    auto meta_field = request.form.find("meta");
    PackageMeta meta =
        parse_package_meta(meta_field == request.form.end() ? "" : meta_field->second);
    if (meta.device_id && *meta.device_id != device.id)
        throw HttpError(403, "forbidden", "meta.deviceId is not the uploading device");
    if (services.photos == nullptr)
        throw std::runtime_error("no photo storage configured");

    StoredPhoto stored;
    try {
        stored = services.photos->store(photo.path);
    } catch (const PhotoRejected& rejected) {
        fail_validation("photo", rejected.what());
    } catch (const StorageFull& full) {
        LOG_ERROR("httpd", "package photo from %s not stored: %s", device.id.c_str(), full.what());
        throw HttpError(507, "insufficient_storage",
                        "the server has no room to store the photo; nothing was kept, retry later");
    }
    FilesGuard guard(*services.photos, stored);

    DbPool::Lease db = services.db.acquire();
    pg::Transaction transaction(*db);
    pg::Result row = transaction.exec(
        "INSERT INTO packages (device_id, photo_file, thumb_file, distance_cm, reason, firmware)"
        " VALUES ($1, $2, $3, $4::double precision, $5, $6)"
        " RETURNING id, " +
            iso8601_sql("received_at"),
        {device.id, stored.photo, stored.thumb,
         meta.distance_cm ? std::optional<std::string>(optional_number(meta.distance_cm))
                          : std::nullopt,
         meta.reason, meta.firmware});
    std::string id(row.text(0, 0));
    std::string ts(row.text(0, 1));
    json::Ptr data = json::own(json_object());
    json::set(data.get(), "packageId", json::own(json_integer(row.integer(0, 0))));
    if (meta.distance_cm)
        json::set(data.get(), "distanceCm", json::own(json_real(*meta.distance_cm)));
    // The owner hears of it with the photo (sent by signed link); an unclaimed box tells no one.
    transaction.exec(
        "INSERT INTO notifications (user_id, kind, device_id, data, image_path,"
        " dedupe_key)"
        " SELECT owner_id, 'package_received', id, $2::jsonb, $3, $4"
        " FROM devices WHERE id = $1 AND owner_id IS NOT NULL"
        " ON CONFLICT (dedupe_key) DO NOTHING",
        {device.id, json::dump(data.get()), "packages/" + stored.photo, "package_received:" + id});
    transaction.commit();
    guard.keep();

    json::Ptr body = json::own(json_object());
    json::set(body.get(), "success", json::own(json_true()));
    json::set(body.get(), "id", json::own(json_integer(row.integer(0, 0))));
    json::set(body.get(), "photoUrl",
              json::own(json_string(("/api/v1/packages/" + id + "/photo").c_str())));
    json::set(body.get(), "thumbUrl",
              json::own(json_string(("/api/v1/packages/" + id + "/thumb").c_str())));
    json::set(body.get(), "ts", json::own(json_string(ts.c_str())));
    return json_response(200, body.get());
}

} // namespace

void add_package_upload_routes(Router& router, Services& services) {
    // Only a parcel box with a valid credential (the router checks Access::device before the
    // first body byte) and no other upload open may make the server spool a photo.
    router.add_upload("POST", "/api/v1/packages", Access::device(), bound(services, upload_package),
                      services.storage.max_upload_bytes, [&services](const Request& request) {
                          return admit_upload(services, request);
                      });
}

} // namespace sarang::http
