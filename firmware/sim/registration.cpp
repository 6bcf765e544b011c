#include "registration.hpp"

#include "../host/curl_http.hpp"
#include "../host/system_platform.hpp"
#include "sarang_fw/device_id.hpp"
#include "sarang_fw/json.hpp"
#include "sarang_fw/kinds.hpp"
#include "sarang_fw/setup_portal.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using sarang_fw::Json;

namespace sarang_sim {
namespace {

std::string expand(const std::string& pattern, int n) {
    std::string out = pattern;
    for (std::size_t at; (at = out.find("{n}")) != std::string::npos;)
        out.replace(at, 3, std::to_string(n));
    return out;
}

// A locally administered MAC (02:...) from the name: the same name is the same device in every
// run, and no real device has it.
std::string simulated_mac_id(const std::string& kind, const std::string& name) {
    std::uint64_t hash = 1469598103934665603ull; // FNV-1a
    for (char c : kind + "/" + name) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    std::array<std::uint8_t, 6> mac{0x02};
    for (int i = 1; i < 6; ++i)
        mac[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hash >> (8 * (i - 1)));
    return sarang_fw::device_id_from_mac(mac);
}

std::string random_label_pin() {
    std::random_device random;
    std::string pin;
    for (int i = 0; i < 6; ++i)
        pin.push_back(static_cast<char>('0' + random() % 10));
    return pin;
}

int run(const std::vector<std::string>& arguments) {
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        std::vector<char*> argv;
        for (const std::string& argument : arguments)
            argv.push_back(const_cast<char*>(argument.c_str()));
        argv.push_back(nullptr);
        // sarangctl's own summary goes to stderr with ours; stdout stays for sarang-sim's lines.
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execvp(argv[0], argv.data());
        std::fprintf(stderr, "sarang-sim: cannot run %s: %s\n", argv[0], std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

// Reads sarangctl's CSV (device_id,mqtt_username,mqtt_client_id,mqtt_password,topic_prefix)
// into the records; a later row for a device supersedes an earlier one.
void take_credentials(const std::string& csv, const Options& options, SimState& state) {
    std::ifstream file(csv);
    std::string line;
    std::getline(file, line); // header
    while (std::getline(file, line)) {
        std::vector<std::string> cells;
        std::size_t start = 0;
        for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos;
             start = comma + 1)
            cells.push_back(line.substr(start, comma - start));
        cells.push_back(line.substr(start));
        if (cells.size() != 5)
            continue;
        for (DeviceRecord& record : state.devices) {
            if (record.device_id != cells[0])
                continue;
            record.storage["mqtt_host"] = options.mqtt_host;
            record.storage["mqtt_port"] = std::to_string(options.mqtt_port);
            record.storage["mqtt_user"] = cells[1];
            record.storage["mqtt_client"] = cells[2];
            record.storage["mqtt_pass"] = cells[3];
            record.storage["mqtt_prefix"] = cells[4];
        }
    }
}

bool has_credential(const DeviceRecord& record) {
    auto found = record.storage.find("mqtt_pass");
    return found != record.storage.end() && !found->second.empty();
}

} // namespace

void plan_devices(const Options& options, SimState& state) {
    state.kind = options.kind;
    for (int n = options.first; n < options.first + options.count; ++n) {
        std::string name = expand(options.name_pattern, n);
        if (state.find(name) != nullptr)
            continue;
        DeviceRecord record;
        record.name = name;
        record.chip_id = simulated_mac_id(options.kind, name);
        // bulk: the name is the id; factory: the MAC is; softap: the backend names the device
        // when it is pre-registered.
        record.device_id = options.registration == "bulk" || options.registration == "none"
                               ? name
                               : record.chip_id;
        record.label_pin = random_label_pin();
        state.devices.push_back(std::move(record));
    }
}

bool register_in_bulk(const Options& options, SimState& state, std::string& error) {
    std::vector<int> missing;
    for (int n = options.first; n < options.first + options.count; ++n) {
        DeviceRecord* record = state.find(expand(options.name_pattern, n));
        if (record != nullptr && !has_credential(*record))
            missing.push_back(n);
    }
    if (missing.empty())
        return true;
    std::string csv = options.state_path + ".csv";
    ::unlink(csv.c_str()); // sarangctl creates it 0600; the credentials move to the state file
    std::vector<std::string> create = {
        options.sarangctl, "--config", options.config_path,  "devices", "create", "--kind",
        options.kind,      "--name",   options.name_pattern, "--csv",   csv};
    if (!options.owner.empty()) {
        create.push_back("--owner");
        create.push_back(options.owner);
    }
    std::vector<std::string> range = create;
    range.insert(range.end(), {"--from", std::to_string(missing.front()), "--to",
                               std::to_string(missing.back())});
    if (run(range) != 0) {
        error = "sarangctl devices create failed (is --config the stack's sarang.conf?)";
        return false;
    }
    take_credentials(csv, options, state);
    // Devices that existed before this state file knew them get a new credential.
    for (int n : missing) {
        DeviceRecord* record = state.find(expand(options.name_pattern, n));
        if (has_credential(*record))
            continue;
        std::vector<std::string> rotate = create;
        rotate.insert(rotate.end(),
                      {"--from", std::to_string(n), "--to", std::to_string(n), "--rotate"});
        if (run(rotate) != 0) {
            error = "sarangctl could not re-key " + record->name;
            return false;
        }
        take_credentials(csv, options, state);
    }
    ::unlink(csv.c_str());
    return true;
}

bool register_by_softap(const Options& options, sarang_fw::host::CurlHttp& http,
                        const std::string& token, SimState& state, std::string& error) {
    std::optional<long long> home;
    for (DeviceRecord& record : state.devices) {
        if (has_credential(record))
            continue;
        if (!home) {
            sarang_fw::HttpReply made =
                http.json_request("POST", options.http_url + "/api/v1/homes", token,
                                  Json::object().set_string("name", "sarang-sim").print());
            std::optional<Json> body = Json::parse(made.body);
            if (made.status != 201 || !body || !body->view().whole_number("id")) {
                error = "making a home: HTTP " + std::to_string(made.status) + " " + made.body;
                return false;
            }
            home = body->view().whole_number("id");
        }
        // Step 1, the phone still online: the app's temporary chip id, the user's home.
        sarang_fw::HttpReply pre =
            http.json_request("POST", options.http_url + "/api/provision/register/", token,
                              Json::object()
                                  .set_string("chip_id", "temp_" + record.chip_id)
                                  .set_number("home_id", static_cast<double>(*home))
                                  .set_string("device_name", record.name)
                                  .print());
        std::optional<Json> answer = Json::parse(pre.body);
        if (pre.status != 201 || !answer) {
            error = "pre-registering " + record.name + ": HTTP " + std::to_string(pre.status) +
                    " " + pre.body;
            return false;
        }
        // Steps 2-3, on the device's access point: its own setup API stores the config.
        sarang_fw::host::MemoryStore nvs;
        sarang_fw::SettingsStore settings(nvs);
        sarang_fw::SetupPortal portal(settings, {record.chip_id, options.kind, "sarang-sim/0.1"});
        sarang_fw::HttpReply wifi =
            portal.handle("POST", "/api/wifi", R"({"ssid":"sarang-sim","password":"simulated"})");
        sarang_fw::HttpReply mqtt =
            portal.handle("POST", "/api/mqtt", answer->view().field("mqtt_config").print());
        if (wifi.status != 200 || mqtt.status != 200) {
            error = "the SoftAP API refused the mqtt_config: " + mqtt.body;
            return false;
        }
        std::optional<sarang_fw::MqttConfig> stored = settings.mqtt();
        record.device_id = stored->client_id;
        record.provisioning_id = answer->view().string("provisioning_id").value_or("");
        record.storage.clear();
        for (const char* key :
             {"mqtt_host", "mqtt_port", "mqtt_client", "mqtt_user", "mqtt_pass", "mqtt_prefix"})
            record.storage[key] = nvs.get(key).value_or("");
        // The broker address as this run reaches it (mqtt_config names the server's).
        record.storage["mqtt_host"] = options.mqtt_host;
        record.storage["mqtt_port"] = std::to_string(options.mqtt_port);
    }
    return true;
}

bool provisioned(const Options& options, sarang_fw::host::CurlHttp& http, const std::string& token,
                 const DeviceRecord& record) {
    sarang_fw::HttpReply status = http.json_request(
        "GET", options.http_url + "/api/provision/status/" + record.provisioning_id, token, "");
    std::optional<Json> body = Json::parse(status.body);
    return status.status == 200 && body && body->view().boolean("is_provisioned").value_or(false);
}

bool claim_session(const Options& options, sarang_fw::host::CurlHttp& http, std::string& token,
                   std::string& error) {
    if (!options.claim_token.empty()) {
        token = options.claim_token;
        return true;
    }
    std::string body = Json::object()
                           .set_string("username", options.claim_for)
                           .set_string("password", options.claim_password)
                           .print();
    sarang_fw::HttpReply reply =
        http.json_request("POST", options.http_url + "/api/auth/login", "", body);
    std::optional<Json> answer = Json::parse(reply.body);
    if (reply.status != 200 || !answer) {
        error = "login as " + options.claim_for + " failed (HTTP " + std::to_string(reply.status) +
                "; first-setup done?)";
        return false;
    }
    token = answer->view().string("token").value_or("");
    return !token.empty();
}

bool claim_device(const Options& options, sarang_fw::host::CurlHttp& http, const std::string& token,
                  const DeviceRecord& record, std::string& error) {
    std::string body = Json::object()
                           .set_string("device_id", record.device_id)
                           .set_string("pin_code", record.label_pin)
                           .print();
    sarang_fw::HttpReply reply =
        http.json_request("POST", options.http_url + "/api/v1/devices/claim", token, body);
    if (reply.status == 200)
        return true;
    error = "claiming " + record.device_id + ": HTTP " + std::to_string(reply.status) + " " +
            reply.body;
    return false;
}

} // namespace sarang_sim
