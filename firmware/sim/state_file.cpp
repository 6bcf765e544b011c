#include "state_file.hpp"

#include "sarang_fw/json.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using sarang_fw::Json;
using sarang_fw::JsonView;

namespace sarang_sim {

DeviceRecord* SimState::find(const std::string& name) {
    for (DeviceRecord& record : devices) {
        if (record.name == name)
            return &record;
    }
    return nullptr;
}

bool load_state(const std::string& path, SimState& state, std::string& error) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0)
        return errno == ENOENT ? true : (error = path + ": " + std::strerror(errno), false);
    if (!S_ISREG(info.st_mode) || (info.st_mode & 077) != 0) {
        error = path + " must be a regular file with mode 0600 (it holds device credentials)";
        return false;
    }
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    std::optional<Json> root = Json::parse(text.str());
    if (!root || !root->view().is_object()) {
        error = path + " is not a sarang-sim state file";
        return false;
    }
    JsonView devices = root->view().field("devices");
    for (std::size_t i = 0; i < devices.array_size(); ++i) {
        JsonView item = devices.at(i);
        DeviceRecord record;
        record.name = item.string("name").value_or("");
        record.device_id = item.string("device_id").value_or("");
        record.label_pin = item.string("label_pin").value_or("");
        record.chip_id = item.string("chip_id").value_or(record.device_id);
        record.provisioning_id = item.string("provisioning_id").value_or("");
        record.claimed = item.boolean("claimed").value_or(false);
        JsonView storage = item.field("storage");
        for (const char* key :
             {"mqtt_host", "mqtt_port", "mqtt_client", "mqtt_user", "mqtt_pass", "mqtt_prefix"}) {
            if (std::optional<std::string> value = storage.string(key))
                record.storage[key] = *value;
        }
        if (!record.name.empty() && !record.device_id.empty())
            state.devices.push_back(std::move(record));
    }
    return true;
}

bool save_state(const std::string& path, const SimState& state, std::string& error) {
    Json devices = Json::array();
    for (const DeviceRecord& record : state.devices) {
        Json storage = Json::object();
        for (const auto& [key, value] : record.storage)
            storage.set_string(key.c_str(), value);
        Json item = Json::object();
        item.set_string("name", record.name)
            .set_string("device_id", record.device_id)
            .set_string("label_pin", record.label_pin)
            .set_string("chip_id", record.chip_id)
            .set_string("provisioning_id", record.provisioning_id)
            .set_bool("claimed", record.claimed)
            .set_json("storage", std::move(storage));
        devices.append(std::move(item));
    }
    Json root = Json::object();
    root.set_string("kind", state.kind).set_json("devices", std::move(devices));
    std::string text = root.print() + "\n";
    std::string temporary = path + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = temporary + ": " + std::strerror(errno);
        return false;
    }
    bool written = fchmod(fd, 0600) == 0 &&
                   ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                   fsync(fd) == 0;
    ::close(fd);
    if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
        error = path + ": " + std::strerror(errno);
        ::unlink(temporary.c_str());
        return false;
    }
    return true;
}

} // namespace sarang_sim
