#include "backup_manifest.hpp"
#include "sarang/crypto.hpp"
#include "sarang/json.hpp"

#include <filesystem>
#include <set>
#include <stdexcept>
#include <sys/stat.h>

namespace sarang::ctl {
namespace {

// Only what backup writes: photos/<name>, secrets/<name> and the dump; never "..", never
// absolute, so a crafted manifest cannot make restore read outside the folder.
bool safe_path(const std::string& path) {
    if (path == dump_name)
        return true;
    std::size_t slash = path.find('/');
    if (slash == std::string::npos || path.find('/', slash + 1) != std::string::npos)
        return false;
    std::string folder = path.substr(0, slash);
    std::string name = path.substr(slash + 1);
    if ((folder != photos_folder && folder != secrets_folder) || name.empty() || name[0] == '.')
        return false;
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::string text_of(json_t* object, const char* key) {
    json_t* value = json_object_get(object, key);
    if (!json_is_string(value))
        throw std::runtime_error(std::string("manifest.json: \"") + key + "\" is missing");
    return json_string_value(value);
}

long long integer_of(json_t* object, const char* key) {
    json_t* value = json_object_get(object, key);
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        throw std::runtime_error(std::string("manifest.json: \"") + key + "\" is missing");
    return json_integer_value(value);
}

} // namespace

std::string pepper_check(const std::string& pepper) {
    crypto::Digest digest = crypto::hmac_sha256(pepper, "sarang backup pepper check");
    return crypto::hex_encode(digest.data(), 16);
}

ManifestFile describe_file(const std::string& root, const std::string& path) {
    std::string full = root + "/" + path;
    struct stat info {};
    if (::stat(full.c_str(), &info) != 0)
        throw std::runtime_error("cannot stat " + full);
    return {path, crypto::hex_encode(crypto::sha256_file(full)),
            static_cast<long long>(info.st_size)};
}

std::string manifest_json(const Manifest& manifest) {
    json::Ptr out = json::own(json_object());
    json::set(out.get(), "format", json::own(json_string(backup_format)));
    json::set(out.get(), "sarang_version", json::string(manifest.sarang_version));
    json::set(out.get(), "schema_version", json::own(json_integer(manifest.schema_version)));
    json::set(out.get(), "schema_migration", json::string(manifest.schema_migration));
    json::set(out.get(), "created_at", json::string(manifest.created_at));
    json::set(out.get(), "secrets_included", json::own(json_boolean(manifest.secrets_included)));
    json::set(out.get(), "secrets_note",
              json::string(manifest.secrets_included
                               ? "secrets/ holds sarang.conf with auth.pepper and every other "
                                 "secret: store this backup like the server's keys"
                               : "secrets are not included: restore on a server whose "
                                 "auth.pepper is the backed-up server's (device credentials "
                                 "are hashed with it), see pepper_check"));
    json::set(out.get(), "pepper_check", json::string(manifest.pepper_check));
    json::Ptr files = json::own(json_array());
    for (const ManifestFile& file : manifest.files) {
        json::Ptr entry = json::own(json_object());
        json::set(entry.get(), "path", json::string(file.path));
        json::set(entry.get(), "sha256", json::string(file.sha256));
        json::set(entry.get(), "bytes", json::own(json_integer(file.bytes)));
        json::append(files.get(), std::move(entry));
    }
    json::set(out.get(), "files", std::move(files));
    // Indented: an operator reads this file.
    char* text = json_dumps(out.get(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == nullptr)
        throw std::bad_alloc();
    std::string result = std::string(text) + "\n";
    free(text);
    return result;
}

Manifest parse_manifest(const std::string& text) {
    std::string error;
    json::Ptr root = json::parse(text, error);
    if (!root || !json_is_object(root.get()))
        throw std::runtime_error("manifest.json is not a JSON object: " + error);
    if (text_of(root.get(), "format") != backup_format)
        throw std::runtime_error(std::string("manifest.json: not a ") + backup_format + " backup");
    Manifest manifest;
    manifest.sarang_version = text_of(root.get(), "sarang_version");
    manifest.schema_version = static_cast<int>(integer_of(root.get(), "schema_version"));
    manifest.schema_migration = text_of(root.get(), "schema_migration");
    manifest.created_at = text_of(root.get(), "created_at");
    manifest.pepper_check = text_of(root.get(), "pepper_check");
    json_t* secrets = json_object_get(root.get(), "secrets_included");
    if (!json_is_boolean(secrets))
        throw std::runtime_error("manifest.json: \"secrets_included\" is missing");
    manifest.secrets_included = json_is_true(secrets);
    json_t* files = json_object_get(root.get(), "files");
    if (!json_is_array(files))
        throw std::runtime_error("manifest.json: \"files\" is missing");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < json_array_size(files); ++i) {
        json_t* entry = json_array_get(files, i);
        if (!json_is_object(entry))
            throw std::runtime_error("manifest.json: a file entry is not an object");
        ManifestFile file{text_of(entry, "path"), text_of(entry, "sha256"),
                          integer_of(entry, "bytes")};
        if (!safe_path(file.path) || !seen.insert(file.path).second)
            throw std::runtime_error("manifest.json: refusing the file name '" + file.path + "'");
        manifest.files.push_back(std::move(file));
    }
    if (!seen.contains(dump_name))
        throw std::runtime_error(std::string("manifest.json lists no ") + dump_name);
    return manifest;
}

std::vector<std::string> verify_backup(const std::string& root, const Manifest& manifest) {
    std::vector<std::string> problems;
    std::set<std::string> listed{manifest_name};
    for (const ManifestFile& file : manifest.files) {
        listed.insert(file.path);
        ManifestFile found;
        try {
            found = describe_file(root, file.path);
        } catch (const std::exception&) {
            problems.push_back(file.path + " is missing");
            continue;
        }
        if (found.bytes != file.bytes)
            problems.push_back(file.path + " has " + std::to_string(found.bytes) +
                               " bytes, the manifest says " + std::to_string(file.bytes));
        else if (found.sha256 != file.sha256)
            problems.push_back(file.path + " does not match its SHA-256 in the manifest");
    }
    namespace fs = std::filesystem;
    std::error_code error;
    for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
         it.increment(error)) {
        if (it->is_directory())
            continue;
        std::string relative = fs::relative(it->path(), root).generic_string();
        if (!listed.contains(relative))
            problems.push_back(relative + " is not in the manifest");
    }
    if (error)
        problems.push_back("cannot list " + root + ": " + error.message());
    return problems;
}

} // namespace sarang::ctl
