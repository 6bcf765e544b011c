#include "sim_device.hpp"

namespace sarang_sim {
namespace {

constexpr const char* firmware = "sarang-sim/0.1";

std::string with_name(std::string path, const std::string& name) {
    for (std::size_t at; (at = path.find("{name}")) != std::string::npos;)
        path.replace(at, 6, name);
    return path;
}

} // namespace

SimDevice::SimDevice(const Options& options, DeviceRecord& record, SystemClock& clock,
                     SystemRandom& random, bool troubled)
    : record_(record), keypad_pin_(options.keypad_pin) {
    for (const auto& [key, value] : record.storage)
        store_.put(key, value);
    // This run's broker address wins over the one stored with the credential.
    if (store_.get("mqtt_pass")) {
        store_.put("mqtt_host", options.mqtt_host);
        store_.put("mqtt_port", std::to_string(options.mqtt_port));
    }
    synced_version_ = store_.version();
    app_ = make_app(options, clock, random, troubled);
    sarang_fw::CoreConfig config;
    config.kind = options.kind;
    config.device_id = record.device_id;
    config.label_pin = record.label_pin;
    if (options.registration == "factory")
        config.factory_secret = options.factory_secret;
    config.broker_host = options.mqtt_host;
    config.broker_port = options.mqtt_port;
    // A fleet started at once spreads its first connections over a second.
    config.backoff_base_ms = 1000;
    core_ =
        std::make_unique<sarang_fw::DeviceCore>(config, *app_, transport_, store_, clock, random);
    transport_.attach(*core_);
    if (!options.cafile.empty())
        transport_.set_tls({options.cafile, with_name(options.cert_file, record.name),
                            with_name(options.key_file, record.name)});
}

std::unique_ptr<sarang_fw::DeviceApp> SimDevice::make_app(const Options& options,
                                                          SystemClock& clock, SystemRandom& random,
                                                          bool troubled) {
    auto interval = static_cast<std::uint32_t>(1000.0 / options.rate);
    const std::string& kind = options.kind;
    if (kind == "hydro-sensor") {
        adc_ = std::make_unique<SimAdc>(random, troubled);
        return std::make_unique<sarang_fw::HydroProbe>(*adc_, sarang_fw::HydroChannels{}, firmware,
                                                       interval);
    }
    if (kind == "env-sensor") {
        env_ = std::make_unique<SimEnv>(random);
        return std::make_unique<sarang_fw::EnvSensor>(*env_, record_.chip_id, firmware, interval);
    }
    if (kind == "vending") {
        vending_ = std::make_unique<SimVending>(clock, random, options.dispense_success);
        return std::make_unique<sarang_fw::VendingMachine>(*vending_, firmware, interval);
    }
    if (kind == "parcel-box") {
        parcel_ = std::make_unique<SimParcel>(clock, random, options.parcel_every_s);
        return std::make_unique<sarang_fw::ParcelBox>(
            *parcel_, http_, options.http_url + "/api/v1/packages", firmware);
    }
    if (kind == "door-lock") {
        lock_ = std::make_unique<SimLock>();
        return std::make_unique<sarang_fw::DoorLock>(*lock_, firmware);
    }
    return std::make_unique<RelaySwitch>();
}

void SimDevice::poll() {
    transport_.poll();
    core_->loop();
    if (lock_ && !typed_ && !keypad_pin_.empty() && core_->online()) {
        lock_->type(keypad_pin_ + "#");
        typed_ = true;
    }
}

bool SimDevice::sync_record() {
    if (store_.version() == synced_version_)
        return false;
    synced_version_ = store_.version();
    record_.storage.clear();
    for (const char* key :
         {"mqtt_host", "mqtt_port", "mqtt_client", "mqtt_user", "mqtt_pass", "mqtt_prefix"}) {
        if (std::optional<std::string> value = store_.get(key))
            record_.storage[key] = *value;
    }
    return true;
}

void SimDevice::say_offline() {
    if (core_->online())
        core_->publish("status", app_->status_payload(false));
}

void SimDevice::disconnect() {
    transport_.disconnect();
    transport_.poll();
}

} // namespace sarang_sim
