// sarang-hydro: seed 003's Raspberry Pi probe as a Linux program. It reads TDS and pH through
// an ADC (the kernel's IIO driver, or --adc sim) and publishes hydro/{name}/reading with the
// firmware core: backoff, last will, outbox. The credential comes from the fleet CSV that
// `sarangctl devices create --name 'pi-{n}' ... --csv` wrote.
#include "../host/mosquitto_transport.hpp"
#include "../host/system_platform.hpp"
#include "hydro_probe.hpp"
#include "iio_adc.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> stop_requested{false};

void request_stop(int) {
    stop_requested = true;
}

// Wanders like a real probe in a healthy nutrient solution.
class SimulatedAdc : public sarang_fw::Adc {
  public:
    std::optional<double> volts(int channel) override {
        double& value = channel == 0 ? tds_ : ph_;
        value += (std::rand() % 201 - 100) / 10000.0;
        value = channel == 0 ? std::clamp(value, 1.15, 1.7) : std::clamp(value, 2.56, 2.74);
        return value;
    }

  private:
    double tds_ = 1.4, ph_ = 2.65;
};

bool credential_from_csv(const std::string& path, const std::string& name,
                         sarang_fw::host::MemoryStore& store) {
    std::ifstream file(path);
    std::string line;
    bool found = false;
    while (std::getline(file, line)) {
        std::vector<std::string> cells;
        std::size_t start = 0;
        for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos;
             start = comma + 1)
            cells.push_back(line.substr(start, comma - start));
        cells.push_back(line.substr(start));
        if (cells.size() != 5 || cells[0] != name)
            continue;
        store.put("mqtt_user", cells[1]);
        store.put("mqtt_client", cells[2]);
        store.put("mqtt_pass", cells[3]);
        store.put("mqtt_prefix", cells[4]);
        found = true; // a later row supersedes an earlier one
    }
    return found;
}

} // namespace

int main(int argc, char** argv) {
    std::string csv, name, host = "127.0.0.1", adc_source = "sim";
    int port = 1883, interval_s = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--csv")
            csv = value;
        else if (flag == "--name")
            name = value;
        else if (flag == "--mqtt-host")
            host = value;
        else if (flag == "--mqtt-port")
            port = std::atoi(value.c_str());
        else if (flag == "--adc")
            adc_source = value;
        else if (flag == "--interval")
            interval_s = std::atoi(value.c_str());
    }
    sarang_fw::host::MemoryStore store;
    if (csv.empty() || name.empty() || port < 1 || interval_s < 1 ||
        !credential_from_csv(csv, name, store)) {
        std::fprintf(stderr, "usage: sarang-hydro --csv FLEET.csv --name pi-N [--mqtt-host H] "
                             "[--mqtt-port P] [--adc sim|/sys/bus/iio/devices/iio:deviceN] "
                             "[--interval SECONDS]\n(the CSV must hold the device's row)\n");
        return 2;
    }
    store.put("mqtt_host", host);
    store.put("mqtt_port", std::to_string(port));
    std::unique_ptr<sarang_fw::Adc> adc;
    if (adc_source == "sim")
        adc = std::make_unique<SimulatedAdc>();
    else
        adc = std::make_unique<sarang_fw::IioAdc>(adc_source);

    sarang_fw::host::MosquittoLibrary library;
    sarang_fw::host::SystemClock clock;
    sarang_fw::host::SystemRandom random;
    sarang_fw::host::MosquittoTransport transport;
    sarang_fw::HydroProbe probe(*adc, {}, "sarang-hydro/0.1",
                                static_cast<std::uint32_t>(interval_s) * 1000);
    sarang_fw::CoreConfig config;
    config.kind = "hydro-sensor";
    config.device_id = name;
    sarang_fw::DeviceCore core(config, probe, transport, store, clock, random);
    transport.attach(core);
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    bool was_online = false;
    while (!stop_requested) {
        transport.poll();
        core.loop();
        if (core.online() != was_online) {
            was_online = core.online();
            std::printf("sarang-hydro: %s %s\n", name.c_str(),
                        was_online ? "online" : ("offline: " + core.last_error()).c_str());
            std::fflush(stdout);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    core.publish("status", probe.status_payload(false));
    for (int i = 0; i < 100 && transport.unacknowledged() > 0; ++i) {
        transport.poll();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    transport.disconnect();
    transport.poll();
    return 0;
}
