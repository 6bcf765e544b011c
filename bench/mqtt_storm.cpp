// sarang-storm: a connect storm and a QoS 0 publish flood from one process, many connections,
// raw MQTT 3.1.1 over non-blocking sockets and epoll (no thread per client, unlike
// libmosquitto), so the broker rather than the load generator sets the pace.
//
//   sarang-storm --port P --credentials FILE [--window 500] [--messages 100]
//                [--root hydro] [--subtopic status] [--broker-pid PID]
//
// FILE: "device_id password" per line (client id = username = device id).
// Phase 1 opens every connection with up to --window CONNECTs in flight and times CONNECT ->
// CONNACK. Phase 2 has every connection send --messages QoS 0 PUBLISHes and then one QoS 1
// PUBLISH as a fence: the broker handles a connection's packets in order, so its PUBACK means
// all of them were processed (ACL-checked and routed). Prints one line per phase; with
// --broker-pid also the broker process's CPU time per connect and per message, which on a
// machine shared with the load tool and PostgreSQL says more than wall-clock rates do.
#include "bench_args.hpp"
#include "mqtt_wire.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>
#include <vector>

using sarang::bench::argument;
using sarang::bench::percentile;
namespace mqtt = sarang::bench::mqtt;

namespace {

using Clock = std::chrono::steady_clock;

struct Credential {
    std::string id;
    std::string password;
};

struct Connection : mqtt::Connection {
    Clock::time_point started;
    bool connected = false;
    bool fenced = false;
};

// User plus system CPU seconds of a process so far (threads included); 0 when unknown.
double cpu_seconds(int pid) {
    if (pid <= 0)
        return 0;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t after_name = text.rfind(')');
    if (after_name == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(after_name + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int index = 3; fields >> field; ++index) { // field 3 is the state
        if (index == 14)
            utime = std::stoull(field);
        if (index == 15) {
            stime = std::stoull(field);
            break;
        }
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace

int main(int argc, char** argv) {
    int port = std::atoi(argument(argc, argv, "--port", "1883"));
    const char* path = argument(argc, argv, "--credentials", nullptr);
    size_t window = static_cast<size_t>(std::atoi(argument(argc, argv, "--window", "500")));
    int messages = std::atoi(argument(argc, argv, "--messages", "100"));
    std::string root = argument(argc, argv, "--root", "hydro");
    std::string subtopic = argument(argc, argv, "--subtopic", "status");
    int broker_pid = std::atoi(argument(argc, argv, "--broker-pid", "0"));
    if (path == nullptr) {
        std::fprintf(stderr, "usage: sarang-storm --port P --credentials FILE [--window N] "
                             "[--messages N] [--root R] [--subtopic S]\n");
        return 2;
    }
    std::vector<Credential> credentials;
    std::ifstream file(path);
    for (Credential c; file >> c.id >> c.password;)
        credentials.push_back(c);

    sockaddr_in address = mqtt::loopback(port);
    int epoll = epoll_create1(0);
    std::vector<Connection> connections(credentials.size());
    std::vector<double> connect_ms;
    size_t next = 0, in_flight = 0, refused = 0, done = 0;
    epoll_event events[512];

    // Phase 1: the storm.
    auto phase_start = Clock::now();
    double cpu_start = cpu_seconds(broker_pid);
    while (done < credentials.size()) {
        while (in_flight < window && next < credentials.size()) {
            Connection& c = connections[next];
            c.started = Clock::now();
            c.fd = mqtt::open_socket(address);
            if (c.fd < 0)
                return 1;
            c.out = mqtt::connect_packet(credentials[next].id, credentials[next].password);
            mqtt::flush(c);
            epoll_event event{EPOLLIN, {.u64 = next}};
            epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &event);
            ++next;
            ++in_flight;
        }
        int ready = epoll_wait(epoll, events, 512, 5000);
        if (ready <= 0) {
            std::fprintf(stderr, "storm stalled with %zu CONNECTs unanswered\n", in_flight);
            return 1;
        }
        for (int i = 0; i < ready; ++i) {
            Connection& c = connections[events[i].data.u64];
            bool open = mqtt::receive(c);
            if (c.connected)
                continue;
            if (c.in.size() >= 4) {
                c.connected = c.in[3] == 0;
                refused += c.connected ? 0 : 1;
                connect_ms.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - c.started).count());
                c.in.erase(0, 4);
                ++done;
                --in_flight;
            } else if (!open) {
                ++refused;
                ++done;
                --in_flight;
                c.connected = false;
                connect_ms.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - c.started).count());
                epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
            }
        }
    }
    double seconds = std::chrono::duration<double>(Clock::now() - phase_start).count();
    double cpu_used = cpu_seconds(broker_pid) - cpu_start;
    std::printf("storm: connections=%zu refused=%zu rate=%.0f/s p50=%.2fms p99=%.2fms "
                "broker_cpu_us_per_connect=%.2f\n",
                credentials.size(), refused, credentials.size() / seconds,
                percentile(connect_ms, 0.5), percentile(connect_ms, 0.99),
                cpu_used * 1e6 / static_cast<double>(credentials.size()));
    if (refused > 0)
        return 1;

    // Phase 2: the flood, fenced per connection.
    std::string payload = R"({"tds":512.3,"ph":6.8})";
    phase_start = Clock::now();
    cpu_start = cpu_seconds(broker_pid);
    size_t fenced = 0;
    for (size_t i = 0; i < connections.size(); ++i) {
        Connection& c = connections[i];
        std::string topic = root + "/" + credentials[i].id + "/" + subtopic;
        std::string one = mqtt::publish_packet(topic, payload, 0);
        c.out.reserve(one.size() * messages + 64);
        for (int m = 0; m < messages; ++m)
            c.out += one;
        c.out += mqtt::publish_packet(topic, payload, 1);
        mqtt::flush(c);
        epoll_event event{EPOLLIN | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT)),
                          {.u64 = i}};
        epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &event);
    }
    while (fenced < connections.size()) {
        // A broker may read every client's whole backlog before it acknowledges any fence: with
        // 3,000,000 messages that is ten seconds of silence that is not a stall.
        int ready = epoll_wait(epoll, events, 512, 60000);
        if (ready <= 0) {
            std::fprintf(stderr, "flood stalled: %zu of %zu fences acknowledged\n", fenced,
                         connections.size());
            return 1;
        }
        for (int i = 0; i < ready; ++i) {
            size_t index = events[i].data.u64;
            Connection& c = connections[index];
            if ((events[i].events & EPOLLOUT) && mqtt::flush(c) && c.out.empty()) {
                epoll_event event{EPOLLIN, {.u64 = index}};
                epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &event);
            }
            bool open = mqtt::receive(c);
            if (!c.fenced && c.in.size() >= 4 &&
                static_cast<unsigned char>(c.in[0]) == mqtt::PUBACK) {
                c.fenced = true;
                ++fenced;
            } else if (!open && !c.fenced) {
                std::fprintf(stderr, "connection %s closed during the flood\n",
                             credentials[index].id.c_str());
                return 1;
            }
        }
    }
    seconds = std::chrono::duration<double>(Clock::now() - phase_start).count();
    size_t total = connections.size() * static_cast<size_t>(messages + 1);
    cpu_used = cpu_seconds(broker_pid) - cpu_start;
    std::printf("flood: messages=%zu rate=%.0f/s seconds=%.2f broker_cpu_us_per_message=%.3f\n",
                total, total / seconds, seconds, cpu_used * 1e6 / static_cast<double>(total));
    for (Connection& c : connections) {
        ::send(c.fd, "\xe0\x00", 2, MSG_NOSIGNAL);
        ::close(c.fd);
    }
    return 0;
}
