#pragma once
// sarang-sim's command line.
#include <optional>
#include <string>

namespace sarang_sim {

struct Options {
    std::string kind;
    int count = 1;
    int first = 1;
    std::string name_pattern; // contains {n}
    double rate = 0.2;        // readings per second per device
    std::string mqtt_host = "127.0.0.1";
    int mqtt_port = 1883;
    std::string http_url = "http://127.0.0.1:8080";
    std::string registration; // bulk, factory, none
    std::string config_path;  // bulk: the stack's sarang.conf
    std::string sarangctl;    // bulk
    std::string owner;        // bulk: the owner's username
    std::string factory_secret;
    std::string claim_for;      // factory: claim for this user
    std::string claim_password; // from SARANG_SIM_PASSWORD
    std::string claim_token;    // from SARANG_SIM_TOKEN
    std::string keypad_pin;     // door-lock: typed once online (SARANG_SIM_KEYPAD_PIN)
    std::string state_path;
    double dispense_success = 0.9;
    double parcel_every_s = 60;
    double troubled = 0.2; // hydro-sensor: the share of probes in tanks out of range
    double duration_s = 0; // 0: until SIGINT/SIGTERM
    // TLS to the broker: the CA to trust, and a device certificate and key for mutual TLS
    // (sarangctl devices cert); {name} in cert_file and key_file becomes each device's name.
    std::string cafile;
    std::string cert_file;
    std::string key_file;
};

// nullopt after printing the problem (or the help) to stderr; exit_code says how to leave.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

} // namespace sarang_sim
