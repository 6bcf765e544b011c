// Packages (seed 004) for their owner (admins: all), newest first:
//   GET    /api/packages?limit=&offset=&deviceId=   {"success", "packages": [package], "total"}
//   GET    /api/packages/{id}                       {"success", "package"}
//   DELETE /api/packages/{id}                       the row, then both files
//   GET    /api/packages/stats/summary              {"success", "stats": {"total", "today",
//                                                    "thisWeek", "latest": {"id", "timestamp"}}}
//   POST   /api/packages/{id}/pickup                {"success", "package", "message"}
//   GET    /api/v1/packages[/{id}]                  the seed's v1 aliases
//   GET    /api/v1/packages/{id}/photo|thumb        the image, with a session
//   GET    /api/v1/media/packages/{file}?expires=&signature=   the image by signed link
// An image of a package whose photo retention removed answers 410 Gone.
// Someone else's package answers 404, like one that does not exist.
#include "auth/caller.hpp"
#include "device_access.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "notify/messages.hpp"
#include "parcel/photo_store.hpp"
#include "query_params.hpp"
#include "sarang/log.hpp"
#include "time_text.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

namespace sarang::http {
namespace {

const std::string package_columns = "p.id, p.device_id, " + iso8601_sql("p.received_at") +
                                    ", p.distance_cm, p.reason, p.firmware, p.status, " +
                                    iso8601_sql("p.picked_up_at") + ", " +
                                    iso8601_sql("p.photo_removed_at");

// Packages the caller may see: $1 is owner_filter.
const std::string visible_packages = " FROM packages p JOIN devices d ON d.id = p.device_id"
                                     " WHERE ($1::bigint IS NULL OR d.owner_id = $1::bigint)";

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    return json::own(rows.is_null(row, column)
                         ? json_null()
                         : json_string(std::string(rows.text(row, column)).c_str()));
}

json::Ptr package_json(const pg::Result& rows, int row) {
    std::string id(rows.text(row, 0));
    json::Ptr package = json::own(json_object());
    json::set(package.get(), "id", json::own(json_integer(rows.integer(row, 0))));
    json::set(package.get(), "deviceId", text_or_null(rows, row, 1));
    json::set(package.get(), "timestamp", text_or_null(rows, row, 2));
    json::set(package.get(), "ts", text_or_null(rows, row, 2));
    json::set(package.get(), "photoUrl",
              json::own(json_string(("/api/v1/packages/" + id + "/photo").c_str())));
    json::set(package.get(), "thumbUrl",
              json::own(json_string(("/api/v1/packages/" + id + "/thumb").c_str())));
    json::set(package.get(), "distanceCm",
              json::own(rows.is_null(row, 3) ? json_null() : json_real(rows.number(row, 3))));
    json::set(package.get(), "reason", text_or_null(rows, row, 4));
    json::set(package.get(), "firmware", text_or_null(rows, row, 5));
    json::set(package.get(), "status", text_or_null(rows, row, 6));
    json::set(package.get(), "pickedUpAt", text_or_null(rows, row, 7));
    // Set once parcel.photo_retention_days removed the photo: its URLs then answer 410.
    json::set(package.get(), "photoRemovedAt", text_or_null(rows, row, 8));
    return package;
}

std::string package_id(const Request& request) {
    const std::string& id = *request.param("id");
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
        throw HttpError(404, "not_found", "no such package");
    return id;
}

json::Ptr success(json::Ptr body = json::own(json_object())) {
    json::set(body.get(), "success", json::own(json_true()));
    return body;
}

Response list_packages(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    long long limit = query_integer(request, "limit", 1, 500).value_or(50);
    long long offset = query_integer(request, "offset", 0, 1'000'000'000).value_or(0);
    std::optional<std::string> device = query_text(request, "deviceId");
    const std::string where = visible_packages + " AND ($2::text IS NULL OR p.device_id = $2)";
    DbPool::Lease db = services.db.acquire();
    long long total =
        db->exec("SELECT count(*)" + where, {owner_filter(caller), device}).integer(0, 0);
    pg::Result rows =
        db->exec("SELECT " + package_columns + where +
                     " ORDER BY p.received_at DESC, p.id DESC LIMIT $3 OFFSET $4",
                 {owner_filter(caller), device, std::to_string(limit), std::to_string(offset)});
    json::Ptr packages = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(packages.get(), package_json(rows, row));
    json::Ptr body = success();
    json::set(body.get(), "packages", std::move(packages));
    json::set(body.get(), "total", json::own(json_integer(total)));
    return json_response(200, body.get());
}

Response get_package(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec("SELECT " + package_columns + visible_packages + " AND p.id = $2",
                               {owner_filter(caller), package_id(request)});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such package");
    json::Ptr body = success();
    json::set(body.get(), "package", package_json(rows, 0));
    return json_response(200, body.get());
}

// The row goes first and commits; the files follow. A crash in between leaves files nobody
// references, which the storage sweep removes; never a row pointing at missing files.
Response delete_package(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("DELETE FROM packages p USING devices d WHERE d.id = p.device_id"
                        " AND ($1::bigint IS NULL OR d.owner_id = $1::bigint) AND p.id = $2"
                        " RETURNING p.photo_file, p.thumb_file",
                        {owner_filter(caller), package_id(request)});
    }();
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such package");
    if (services.photos)
        services.photos->remove({std::string(rows.text(0, 0)), std::string(rows.text(0, 1))});
    json::Ptr body = success();
    json::set(body.get(), "message", json::own(json_string("Package deleted successfully")));
    return json_response(200, body.get());
}

Response package_stats(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    std::optional<std::string> device = query_text(request, "deviceId");
    const std::string where = visible_packages + " AND ($2::text IS NULL OR p.device_id = $2)";
    DbPool::Lease db = services.db.acquire();
    // today: since midnight in the database's time zone (UTC unless configured otherwise);
    // thisWeek: the last 7 days, as the seed counts it.
    pg::Result counts = db->exec(
        "SELECT count(*), count(*) FILTER (WHERE p.received_at >= date_trunc('day', now())),"
        " count(*) FILTER (WHERE p.received_at >= now() - interval '7 days')" +
            where,
        {owner_filter(caller), device});
    pg::Result latest = db->exec("SELECT p.id, " + iso8601_sql("p.received_at") + where +
                                     " ORDER BY p.received_at DESC, p.id DESC LIMIT 1",
                                 {owner_filter(caller), device});
    json::Ptr stats = json::own(json_object());
    json::set(stats.get(), "total", json::own(json_integer(counts.integer(0, 0))));
    json::set(stats.get(), "today", json::own(json_integer(counts.integer(0, 1))));
    json::set(stats.get(), "thisWeek", json::own(json_integer(counts.integer(0, 2))));
    if (latest.rows() == 1) {
        json::Ptr newest = json::own(json_object());
        json::set(newest.get(), "id", json::own(json_integer(latest.integer(0, 0))));
        json::set(newest.get(), "timestamp", text_or_null(latest, 0, 1));
        json::set(stats.get(), "latest", std::move(newest));
    } else {
        json::set(stats.get(), "latest", json::own(json_null()));
    }
    json::Ptr body = success();
    json::set(body.get(), "stats", std::move(stats));
    return json_response(200, body.get());
}

// Picking up twice keeps the first pickup time.
Response pickup_package(Services& services, const Request& request) {
    const UserCaller& caller = request.user();
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec(
        "UPDATE packages p SET status = 'picked_up', picked_up_at = coalesce(p.picked_up_at,"
        " now()) FROM devices d WHERE d.id = p.device_id"
        " AND ($1::bigint IS NULL OR d.owner_id = $1::bigint) AND p.id = $2"
        " RETURNING p.id, p.status, " +
            iso8601_sql("p.picked_up_at"),
        {owner_filter(caller), package_id(request)});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such package");
    json::Ptr package = json::own(json_object());
    json::set(package.get(), "id", json::own(json_integer(rows.integer(0, 0))));
    json::set(package.get(), "status", text_or_null(rows, 0, 1));
    json::set(package.get(), "pickedUpAt", text_or_null(rows, 0, 2));
    json::Ptr body = success();
    json::set(body.get(), "package", std::move(package));
    json::set(body.get(), "message", json::own(json_string("Package marked as picked up")));
    return json_response(200, body.get());
}

// A package that outlived parcel.photo_retention_days keeps its row but not its photo.
[[noreturn]] void photo_removed() {
    throw HttpError(
        410, "gone",
        "the photo was removed after the retention period (parcel.photo_retention_days)");
}

Response jpeg_file(const PhotoStore* store, const std::string& name) {
    if (store == nullptr || !PhotoStore::valid_name(name))
        throw HttpError(404, "not_found", "no such image");
    int fd = ::open(store->path_of(name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw HttpError(404, "not_found", "no such image");
    auto file = std::make_shared<FileBody>(fd, 0);
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        throw std::runtime_error(std::string("cannot read an image: ") + std::strerror(errno));
    file->size = static_cast<std::uint64_t>(info.st_size);
    Response response;
    response.content_type = "image/jpeg";
    response.file = std::move(file);
    return response;
}

Response package_image(Services& services, const Request& request, bool thumb) {
    const UserCaller& caller = request.user();
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec(std::string("SELECT ") + (thumb ? "p.thumb_file" : "p.photo_file") +
                            ", p.photo_removed_at IS NOT NULL" + visible_packages +
                            " AND p.id = $2",
                        {owner_filter(caller), package_id(request)});
    }();
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no such package");
    if (rows.boolean(0, 1))
        photo_removed();
    return jpeg_file(services.photos, std::string(rows.text(0, 0)));
}

Response package_photo(Services& services, const Request& request) {
    return package_image(services, request, false);
}

Response package_thumb(Services& services, const Request& request) {
    return package_image(services, request, true);
}

// The link a notification carries (notify/messages.hpp signed_media_url): no session, but a
// signature over the path and its expiry, and only while a package still references the file.
Response signed_media(Services& services, const Request& request) {
    std::string name = *request.param("file");
    std::optional<std::string> signature = query_text(request, "signature");
    std::optional<long long> expires = query_integer(request, "expires", 0, 1LL << 40);
    if (!signature || !expires ||
        !media_signature_valid("packages/" + name, *expires, *signature, services.pepper,
                               std::chrono::system_clock::now()))
        throw HttpError(403, "forbidden", "the link is invalid or has expired");
    pg::Result rows = [&] {
        DbPool::Lease db = services.db.acquire();
        return db->exec("SELECT photo_removed_at IS NOT NULL FROM packages"
                        " WHERE photo_file = $1 OR thumb_file = $1",
                        {name});
    }();
    if (rows.rows() == 0)
        throw HttpError(404, "not_found", "no such image");
    if (rows.boolean(0, 0))
        photo_removed();
    return jpeg_file(services.photos, name);
}

} // namespace

void add_package_routes(Router& router, Services& services) {
    router.add("GET", "/api/packages", Access::user(), bound(services, list_packages));
    router.add("GET", "/api/packages/stats/summary", Access::user(),
               bound(services, package_stats));
    router.add("GET", "/api/packages/{id}", Access::user(), bound(services, get_package));
    router.add("DELETE", "/api/packages/{id}", Access::user(), bound(services, delete_package));
    router.add("POST", "/api/packages/{id}/pickup", Access::user(),
               bound(services, pickup_package));
    router.add("GET", "/api/v1/packages", Access::user(), bound(services, list_packages));
    router.add("GET", "/api/v1/packages/stats/summary", Access::user(),
               bound(services, package_stats));
    router.add("GET", "/api/v1/packages/{id}", Access::user(), bound(services, get_package));
    router.add("GET", "/api/v1/packages/{id}/photo", Access::user(),
               bound(services, package_photo));
    router.add("GET", "/api/v1/packages/{id}/thumb", Access::user(),
               bound(services, package_thumb));
    router.add("GET", "/api/v1/media/packages/{file}",
               Access::anyone("a signed, expiring link; checked by the handler"),
               bound(services, signed_media));
}

} // namespace sarang::http
