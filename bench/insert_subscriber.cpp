// sarang-insert-subscriber: what the seeds' backends do with readings, as a baseline. One
// libmosquitto client subscribes to hydro/+/reading with QoS 1 on a plain mosquitto and does one
// synchronous INSERT (autocommit) of the message's ph and tds rows per received message, the
// way the seeds' Node and Django backends store each message.
//
//   sarang-insert-subscriber --port P --dsn DSN [--topic hydro/+/reading]
//
// Prints "subscribed" once the SUBACK is in, and on SIGTERM or SIGINT the counts: messages
// received, inserted and failed, and its own INSERT rate from the first message to the last
// INSERT.
#include "bench_args.hpp"
#include "readings.hpp"
#include "sarang/pg.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mosquitto.h>
#include <string>
#include <unistd.h>

using namespace sarang::bench;

namespace {

volatile std::sig_atomic_t stopping = 0;
void stop(int) {
    stopping = 1;
}

struct Library {
    Library() { mosquitto_lib_init(); }
    ~Library() { mosquitto_lib_cleanup(); }
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

struct Destroy {
    void operator()(mosquitto* client) const { mosquitto_destroy(client); }
};

struct State {
    State(const char* dsn, const char* filter)
        : db(dsn, "sarang-insert-subscriber"), topic(filter) {}
    sarang::pg::Connection db;
    std::string topic;
    unsigned long long received = 0, inserted = 0, failed = 0;
    std::chrono::steady_clock::time_point first, last; // first message, last INSERT done
};

void on_connect(mosquitto* client, void* data, int rc) {
    auto* state = static_cast<State*>(data);
    if (rc != 0) {
        std::fprintf(stderr, "sarang-insert-subscriber: CONNECT refused (%d)\n", rc);
        stopping = 1;
        return;
    }
    mosquitto_subscribe(client, nullptr, state->topic.c_str(), 1);
}

void on_subscribe(mosquitto*, void*, int, int, const int*) {
    std::printf("subscribed\n");
    std::fflush(stdout);
}

void on_message(mosquitto*, void* data, const mosquitto_message* message) {
    auto* state = static_cast<State*>(data);
    if (state->received++ == 0)
        state->first = std::chrono::steady_clock::now();
    std::string_view topic(message->topic);
    std::string_view payload(static_cast<const char*>(message->payload),
                             static_cast<size_t>(message->payloadlen));
    size_t first = topic.find('/'), second = topic.find('/', first + 1);
    double ph = 0, tds = 0, ts = 0;
    if (first == std::string_view::npos || second == std::string_view::npos ||
        !number_field(payload, "ph", ph) || !number_field(payload, "tds", tds) ||
        !number_field(payload, "ts", ts)) {
        ++state->failed;
        return;
    }
    try {
        state->db.exec_prepared("insert", {std::string(topic.substr(first + 1, second - first - 1)),
                                           std::to_string(static_cast<long long>(ts)),
                                           std::to_string(ph), std::to_string(tds)});
        ++state->inserted;
        state->last = std::chrono::steady_clock::now();
    } catch (const sarang::pg::Error& error) {
        if (state->failed++ == 0)
            std::fprintf(stderr, "sarang-insert-subscriber: %s\n", error.what());
    }
}

} // namespace

int main(int argc, char** argv) {
    int port = std::atoi(argument(argc, argv, "--port", "1883"));
    const char* dsn = argument(argc, argv, "--dsn", nullptr);
    if (dsn == nullptr) {
        std::fprintf(stderr, "usage: sarang-insert-subscriber --port P --dsn DSN [--topic T]\n");
        return 2;
    }
    State state(dsn, argument(argc, argv, "--topic", "hydro/+/reading"));
    state.db.prepare(
        "insert", "INSERT INTO readings (device_id, metric, at, value) VALUES "
                  "($1, 'ph', timestamptz 'epoch' + $2::bigint * interval '1 millisecond', $3),"
                  "($1, 'tds', timestamptz 'epoch' + $2::bigint * interval '1 millisecond', $4)");
    state.db.ensure_connected();
    std::signal(SIGTERM, stop);
    std::signal(SIGINT, stop);

    Library library;
    std::string id = "insert-subscriber-" + std::to_string(getpid());
    std::unique_ptr<mosquitto, Destroy> client(mosquitto_new(id.c_str(), true, &state));
    mosquitto_connect_callback_set(client.get(), on_connect);
    mosquitto_subscribe_callback_set(client.get(), on_subscribe);
    mosquitto_message_callback_set(client.get(), on_message);
    if (mosquitto_connect(client.get(), "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
        std::fprintf(stderr, "sarang-insert-subscriber: cannot connect to port %d\n", port);
        return 1;
    }
    while (!stopping) {
        int rc = mosquitto_loop(client.get(), 100, 1);
        if (rc != MOSQ_ERR_SUCCESS && !stopping) {
            std::fprintf(stderr, "sarang-insert-subscriber: connection lost (%d)\n", rc);
            return 1;
        }
    }
    mosquitto_disconnect(client.get());
    double seconds = std::chrono::duration<double>(state.last - state.first).count();
    std::printf("subscriber: received=%llu inserted=%llu failed=%llu seconds=%.2f "
                "rate=%.0f/s\n",
                state.received, state.inserted, state.failed, seconds,
                seconds > 0 ? static_cast<double>(state.inserted) / seconds : 0.0);
    return 0;
}
