// sarang-sim: N simulated devices of one kind, each running the firmware's DeviceCore and its
// kind's device logic against a real broker and sidecar. See firmware/README.md.
#include "jpeg.hpp"
#include "options.hpp"
#include "registration.hpp"
#include "sim_device.hpp"
#include "state_file.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <curl/curl.h>
#include <memory>
#include <thread>
#include <vips/vips8>

using namespace sarang_sim;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> stop_requested{false};

void request_stop(int) {
    stop_requested = true;
}

bool persist(const Options& options, const SimState& state) {
    std::string error;
    if (save_state(options.state_path, state, error))
        return true;
    std::fprintf(stderr, "sarang-sim: %s\n", error.c_str());
    return false;
}

// Says offline and leaves cleanly: the broker gets the status, then a DISCONNECT.
void shut_down(std::vector<std::unique_ptr<SimDevice>>& devices, SystemClock& clock) {
    for (auto& device : devices)
        device->say_offline();
    std::uint64_t deadline = clock.monotonic_ms() + 3000;
    bool quiet = false;
    while (!quiet && clock.monotonic_ms() < deadline) {
        quiet = true;
        for (auto& device : devices) {
            device->poll();
            quiet = quiet && device->quiet();
        }
        std::this_thread::sleep_for(5ms);
    }
    for (auto& device : devices)
        device->disconnect();
}

} // namespace

int main(int argc, char** argv) {
    int exit_code = 0;
    std::optional<Options> parsed = parse_options(argc, argv, exit_code);
    if (!parsed)
        return exit_code;
    const Options& options = *parsed;
    if (VIPS_INIT(argv[0]) != 0) {
        std::fprintf(stderr, "sarang-sim: libvips failed to start\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sarang_fw::host::MosquittoLibrary mosquitto;
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGPIPE, SIG_IGN);

    SimState state;
    std::string error;
    if (!load_state(options.state_path, state, error)) {
        std::fprintf(stderr, "sarang-sim: %s\n", error.c_str());
        return 1;
    }
    if (!state.kind.empty() && state.kind != options.kind) {
        std::fprintf(stderr, "sarang-sim: %s holds %s devices; use another --state\n",
                     options.state_path.c_str(), state.kind.c_str());
        return 1;
    }
    plan_devices(options, state);
    // The app's side: a user's session claims factory devices or pre-registers SoftAP ones.
    bool softap = options.registration == "softap";
    bool watch_ownership = softap || !options.claim_for.empty();
    sarang_fw::host::CurlHttp app_http;
    std::string app_token;
    bool registered = (!watch_ownership || claim_session(options, app_http, app_token, error)) &&
                      (options.registration != "bulk" || register_in_bulk(options, state, error)) &&
                      (!softap || register_by_softap(options, app_http, app_token, state, error));
    if (!registered) {
        std::fprintf(stderr, "sarang-sim: %s\n", error.c_str());
        persist(options, state); // whatever was registered stays known
        return 1;
    }
    if (!persist(options, state))
        return 1;

    SystemClock clock;
    SystemRandom random;
    std::vector<std::unique_ptr<SimDevice>> devices;
    std::string first_name, last_name;
    for (int n = options.first; n < options.first + options.count; ++n) {
        std::string name = options.name_pattern;
        for (std::size_t at; (at = name.find("{n}")) != std::string::npos;)
            name.replace(at, 3, std::to_string(n));
        DeviceRecord* record = state.find(name);
        // Every 1/troubled-th probe, spread evenly: 20 probes at 0.2 always have 4 troubled.
        int i = n - options.first;
        bool troubled =
            static_cast<int>((i + 1) * options.troubled) > static_cast<int>(i * options.troubled);
        devices.push_back(std::make_unique<SimDevice>(options, *record, clock, random, troubled));
        (first_name.empty() ? first_name : last_name) = name;
    }
    std::printf("sarang-sim: starting %zu %s device(s) %s%s%s against %s:%d\n", devices.size(),
                options.kind.c_str(), first_name.c_str(), last_name.empty() ? "" : " ... ",
                last_name.c_str(), options.mqtt_host.c_str(), options.mqtt_port);
    std::fflush(stdout);

    std::uint64_t started = clock.monotonic_ms();
    bool all_online_said = false;
    std::uint64_t next_report = started + 10000;
    // Ownership checks that did not succeed wait: a provisioning status is asked again after
    // 200 ms, a refused claim (a wrong PIN, a lockout) is retried and logged every 5 s.
    std::uint64_t next_check = 0;
    while (!stop_requested) {
        bool changed = false;
        std::uint64_t retry_in = 0;
        std::size_t online = 0;
        for (auto& device : devices) {
            device->poll();
            changed = device->sync_record() || changed;
            if (device->online()) {
                ++online;
                DeviceRecord& record = device->record();
                if (watch_ownership && !record.claimed && clock.monotonic_ms() >= next_check) {
                    if (softap ? provisioned(options, app_http, app_token, record)
                               : claim_device(options, app_http, app_token, record, error))
                        record.claimed = changed = true;
                    else if (softap)
                        retry_in = std::max<std::uint64_t>(retry_in, 200);
                    else {
                        std::fprintf(stderr, "sarang-sim: %s\n", error.c_str());
                        retry_in = 5000;
                    }
                }
            }
        }
        if (retry_in > 0)
            next_check = clock.monotonic_ms() + retry_in;
        if (changed)
            persist(options, state);
        bool claims_done =
            !watch_ownership || std::all_of(devices.begin(), devices.end(),
                                            [](auto& device) { return device->record().claimed; });
        if (online == devices.size() && claims_done && !all_online_said) {
            std::string owned = softap ? " and provisioned"
                                : options.claim_for.empty()
                                    ? ""
                                    : " and claimed by " + options.claim_for;
            std::printf("sarang-sim: all %zu %s device(s) online%s\n", devices.size(),
                        options.kind.c_str(), owned.c_str());
            std::fflush(stdout);
            all_online_said = true;
        }
        std::uint64_t now = clock.monotonic_ms();
        if (now >= next_report) {
            next_report = now + 10000;
            if (online != devices.size()) {
                std::string problem;
                for (auto& device : devices) {
                    if (!device->online() && !device->last_error().empty()) {
                        problem = device->record().name + ": " + device->last_error();
                        break;
                    }
                }
                std::printf("sarang-sim: %zu/%zu online%s%s\n", online, devices.size(),
                            problem.empty() ? "" : "; ", problem.c_str());
                std::fflush(stdout);
            }
        }
        if (options.duration_s > 0 && now - started >= options.duration_s * 1000)
            break;
        std::this_thread::sleep_for(10ms);
    }
    shut_down(devices, clock);
    for (auto& device : devices)
        device->sync_record();
    persist(options, state);
    std::printf("sarang-sim: stopped\n");
    curl_global_cleanup();
    vips_shutdown();
    return 0;
}
