#pragma once
// The core's MqttTransport over libmosquitto, for Linux (the Pi probe and sarang-sim). No
// threads: poll() runs libmosquitto's network loop without waiting and calls the DeviceCore's
// event methods from the caller's thread, as an ESP32 loop() would.
#include "sarang_fw/device_core.hpp"
#include "sarang_fw/platform.hpp"

#include <string>

struct mosquitto;
struct mosquitto_message;

namespace sarang_fw::host {

// TLS for the connections that follow (docs/tls.md). With a CA file the broker's certificate
// must chain to it and name the host connected to; a client certificate and key (both or
// neither) authenticate the device itself on a listener that requires one.
struct TlsOptions {
    std::string ca_file; // empty: plain MQTT
    std::string cert_file;
    std::string key_file;
};

class MosquittoTransport : public MqttTransport {
  public:
    MosquittoTransport() = default;
    explicit MosquittoTransport(TlsOptions tls) : tls_(std::move(tls)) {}
    ~MosquittoTransport() override;
    MosquittoTransport(const MosquittoTransport&) = delete;
    MosquittoTransport& operator=(const MosquittoTransport&) = delete;

    void attach(DeviceCore& core) { core_ = &core; }
    // The same as the constructor's, for connections from the next one on.
    void set_tls(TlsOptions tls) { tls_ = std::move(tls); }
    bool connect(const MqttSession& session) override;
    int publish(const std::string& topic, const std::string& payload, int qos) override;
    bool subscribe(const std::string& topic, int qos) override;
    void disconnect() override;
    // Runs the network loop once without waiting; events go to the attached core.
    void poll();
    // Messages published but not yet acknowledged by the broker.
    int unacknowledged() const { return in_flight_; }
    bool connected() const { return connected_; }
    // The last connection ended or never came up (refused, TLS handshake failed, closed).
    bool lost() const { return lost_reported_; }

  private:
    static void on_connect(mosquitto*, void* self, int rc);
    static void on_disconnect(mosquitto*, void* self, int rc);
    static void on_publish(mosquitto*, void* self, int mid);
    static void on_message(mosquitto*, void* self, const mosquitto_message* message);
    void close();

    bool configure_tls();

    TlsOptions tls_;
    DeviceCore* core_ = nullptr;
    mosquitto* handle_ = nullptr;
    bool connected_ = false;
    bool lost_reported_ = true;
    int in_flight_ = 0;
};

// mosquitto_lib_init/cleanup for the program's lifetime.
class MosquittoLibrary {
  public:
    MosquittoLibrary();
    ~MosquittoLibrary();
    MosquittoLibrary(const MosquittoLibrary&) = delete;
    MosquittoLibrary& operator=(const MosquittoLibrary&) = delete;
};

} // namespace sarang_fw::host
