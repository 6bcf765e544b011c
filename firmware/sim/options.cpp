#include "options.hpp"

#include "sarang_fw/kinds.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sarang_sim {
namespace {

constexpr const char* usage =
    "usage: sarang-sim --kind KIND [--count N] [--first N] [--name 'pi-{n}'] [--rate PER_SECOND]\n"
    "                  [--mqtt-host HOST] [--mqtt-port PORT] [--http URL]\n"
    "                  [--register bulk|factory|softap|none] [--state FILE] [--duration SECONDS]\n"
    "  bulk:    [--config sarang.conf] [--sarangctl PATH] [--owner USERNAME]\n"
    "  factory: --factory-secret-file FILE (or SARANG_FACTORY_SECRET) [--claim-for USERNAME]\n"
    "           (the user's password in SARANG_SIM_PASSWORD, or a session in SARANG_SIM_TOKEN)\n"
    "  softap:  env-sensor only: pre-registered by the user of SARANG_SIM_TOKEN (or --claim-for\n"
    "           with SARANG_SIM_PASSWORD), configured through the device's SoftAP API\n"
    "  vending: [--dispense-success 0.9]   parcel-box: [--parcel-every SECONDS]\n"
    "  hydro-sensor: [--troubled 0.2] the share of probes whose tank wanders out of range\n"
    "  door-lock: SARANG_SIM_KEYPAD_PIN=PIN types that PIN on each lock's keypad once online\n"
    "  TLS:     [--cafile CA.crt] trust this CA for the broker; mutual TLS with a device\n"
    "           certificate (sarangctl devices cert): --cert 'certs/{name}.crt' --key\n"
    "           'certs/{name}.key' against the broker's require_certificate listener\n"
    "kinds: vending, parcel-box, door-lock, env-sensor, hydro-sensor, relay\n"
    "Runs until SIGINT/SIGTERM (each device says offline and disconnects) or --duration.\n"
    "Credentials are kept in the state file (mode 0600) and reused by the next run.\n";

std::string default_pattern(const std::string& kind) {
    if (kind == "hydro-sensor")
        return "pi-{n}";
    if (kind == "env-sensor")
        return "esp32_dht11_{n}";
    if (kind == "vending")
        return "VM{n}";
    if (kind == "parcel-box")
        return "box-{n}";
    if (kind == "door-lock")
        return "lock-{n}";
    return "relay-{n}";
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

bool is_directory(const std::string& path) {
    struct stat info {};
    return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// build/firmware/sarang-sim -> build/tools/sarangctl
std::string sarangctl_beside_me() {
    char self[4096];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0)
        return "sarangctl";
    std::string path(self, static_cast<std::size_t>(length));
    for (int up = 0; up < 2; ++up)
        path = path.substr(0, path.rfind('/'));
    std::string candidate = path + "/tools/sarangctl";
    return access(candidate.c_str(), X_OK) == 0 ? candidate : "sarangctl";
}

bool read_secret_file(const std::string& path, std::string& into) {
    std::ifstream file(path);
    if (!file || !std::getline(file, into))
        return false;
    while (!into.empty() && (into.back() == '\r' || into.back() == ' '))
        into.pop_back();
    return !into.empty();
}

bool to_number(const char* text, double& into) {
    char* end = nullptr;
    into = std::strtod(text, &end);
    return end != text && *end == '\0';
}

} // namespace

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
    Options options;
    options.mqtt_port = std::atoi(env_or("SARANG_MQTT_PORT", "1883").c_str());
    options.http_url = "http://127.0.0.1:" + env_or("SARANG_HTTP_PORT", "8080");
    options.config_path = env_or("SARANG_CONFIG", ".state/sarang.conf");
    options.factory_secret = env_or("SARANG_FACTORY_SECRET", "");
    options.claim_password = env_or("SARANG_SIM_PASSWORD", "");
    options.claim_token = env_or("SARANG_SIM_TOKEN", "");
    options.keypad_pin = env_or("SARANG_SIM_KEYPAD_PIN", "");
    exit_code = 2;
    auto fail = [&](const std::string& problem) -> std::optional<Options> {
        std::fprintf(stderr, "sarang-sim: %s\n%s", problem.c_str(), usage);
        return std::nullopt;
    };
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(usage, stdout);
            exit_code = 0;
            return std::nullopt;
        }
        if (i + 1 >= argc)
            return fail(flag + " needs a value");
        const char* value = argv[++i];
        double number = 0;
        bool numeric = to_number(value, number);
        if (flag == "--kind")
            options.kind = value;
        else if (flag == "--count" && numeric && number >= 1 && number <= 100000)
            options.count = static_cast<int>(number);
        else if (flag == "--first" && numeric && number >= 0 && number <= 1e9)
            options.first = static_cast<int>(number);
        else if (flag == "--name")
            options.name_pattern = value;
        else if (flag == "--rate" && numeric && number > 0 && number <= 100)
            options.rate = number;
        else if (flag == "--mqtt-host")
            options.mqtt_host = value;
        else if (flag == "--mqtt-port" && numeric && number >= 1 && number <= 65535)
            options.mqtt_port = static_cast<int>(number);
        else if (flag == "--http")
            options.http_url = value;
        else if (flag == "--register")
            options.registration = value;
        else if (flag == "--config")
            options.config_path = value;
        else if (flag == "--sarangctl")
            options.sarangctl = value;
        else if (flag == "--owner")
            options.owner = value;
        else if (flag == "--factory-secret-file") {
            if (!read_secret_file(value, options.factory_secret))
                return fail(std::string("cannot read a factory secret from ") + value);
        } else if (flag == "--claim-for")
            options.claim_for = value;
        else if (flag == "--state")
            options.state_path = value;
        else if (flag == "--dispense-success" && numeric && number >= 0 && number <= 1)
            options.dispense_success = number;
        else if (flag == "--troubled" && numeric && number >= 0 && number <= 1)
            options.troubled = number;
        else if (flag == "--parcel-every" && numeric && number >= 1)
            options.parcel_every_s = number;
        else if (flag == "--duration" && numeric && number > 0)
            options.duration_s = number;
        else if (flag == "--cafile")
            options.cafile = value;
        else if (flag == "--cert")
            options.cert_file = value;
        else if (flag == "--key")
            options.key_file = value;
        else
            return fail("unknown option or bad value: " + flag + " " + value);
    }
    if (sarang_fw::find_kind(options.kind) == nullptr)
        return fail("--kind must be one of the kinds below");
    if (options.cert_file.empty() != options.key_file.empty())
        return fail("--cert and --key go together");
    if (!options.cert_file.empty() && options.cafile.empty())
        return fail("--cert needs --cafile (the CA of the broker's server certificate)");
    if (options.count > 1 && !options.cert_file.empty() &&
        options.cert_file.find("{name}") == std::string::npos)
        return fail("--cert must contain {name} when --count is above 1 (one per device)");
    if (options.name_pattern.empty())
        options.name_pattern = default_pattern(options.kind);
    if (options.name_pattern.find("{n}") == std::string::npos && options.count > 1)
        return fail("--name must contain {n} when --count is above 1");
    if (options.registration.empty())
        options.registration = options.factory_secret.empty() ? "bulk" : "factory";
    if (options.registration != "bulk" && options.registration != "factory" &&
        options.registration != "softap" && options.registration != "none")
        return fail("--register must be bulk, factory, softap or none");
    if (options.registration == "softap" && options.kind != "env-sensor")
        return fail("--register softap is seed 002's flow: --kind env-sensor");
    if (options.registration == "softap" && options.claim_token.empty() &&
        (options.claim_for.empty() || options.claim_password.empty()))
        return fail("--register softap needs SARANG_SIM_TOKEN, or --claim-for with "
                    "SARANG_SIM_PASSWORD");
    if (options.registration == "factory" && options.factory_secret.empty())
        return fail("--register factory needs --factory-secret-file or SARANG_FACTORY_SECRET");
    if (!options.claim_for.empty() && options.claim_password.empty() && options.claim_token.empty())
        return fail("--claim-for needs SARANG_SIM_PASSWORD or SARANG_SIM_TOKEN");
    if (options.sarangctl.empty())
        options.sarangctl = sarangctl_beside_me();
    if (options.state_path.empty())
        options.state_path = (is_directory(".state") ? ".state/" : "") +
                             std::string("sarang-sim-") + options.kind + ".json";
    exit_code = 0;
    return options;
}

} // namespace sarang_sim
