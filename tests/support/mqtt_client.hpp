#pragma once
// A blocking MQTT test client over libmosquitto: connect and publish return the broker's reason
// codes, so tests can assert CONNACK and PUBACK results for MQTT 3.1.1 and 5.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct mosquitto;
struct mqtt5__property; // mosquitto_property
struct mosquitto_message;

namespace sarang::test {

constexpr int no_answer = -1; // the broker closed the connection or did not reply in time

// A QoS 1 PUBACK that means "stored": MQTT 5 says 0x10 when nobody subscribes, 0 otherwise.
inline bool accepted(int puback) {
    return puback == 0 || puback == 0x10;
}

class MqttClient {
  public:
    // protocol: 4 for MQTT 3.1.1, 5 for MQTT 5.
    MqttClient(const std::string& client_id, int protocol = 5);
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    // A last will, set before connect().
    void set_will(const std::string& topic, const std::string& payload);
    // MQTT 5 DISCONNECT with reason 0x04: the broker publishes the will as if the connection
    // had dropped.
    void disconnect_with_will();
    // TLS before connect(): trust `cafile` for the server, present the client certificate
    // (mutual TLS) when `certfile` is not empty. False when libmosquitto refuses the files.
    bool set_tls(const std::string& cafile, const std::string& certfile = "",
                 const std::string& keyfile = "");
    // CONNACK return / reason code: 0 accepted; 5 (3.1.1) or 135 (5) not authorised. An empty
    // username sends none (and no password).
    int connect(int port, const std::string& username, const std::string& password,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // QoS 1: the PUBACK reason code (0 success, 135 not authorised on MQTT 5).
    int publish(const std::string& topic, const std::string& payload,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // SUBACK reason for one filter at QoS 1: 1 granted; 0x80 (3.1.1) or 0x87 (5) refused.
    int subscribe(const std::string& filter,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // True when a message on `topic` arrives within the timeout (or arrived before).
    bool wait_message(const std::string& topic, std::chrono::milliseconds timeout);
    // True when at least `count` messages on `topic` have arrived within the timeout.
    bool wait_message_count(const std::string& topic, size_t count,
                            std::chrono::milliseconds timeout);
    // The payloads received on `topic` so far, in arrival order.
    std::vector<std::string> payloads(const std::string& topic);
    // Every message received so far, on any topic.
    size_t received_count();
    // The topics of every message received so far, in arrival order.
    std::vector<std::string> received_topics();
    // The payload of the first message on `topic` not taken before, once it arrives; nullopt
    // when none arrives within the timeout.
    std::optional<std::string> next_payload(const std::string& topic,
                                            std::chrono::milliseconds timeout);
    // True when the broker disconnects this client within the timeout.
    bool wait_disconnected(std::chrono::milliseconds timeout);

  private:
    static void on_connect(mosquitto*, void* self, int rc, int flags, const mqtt5__property* props);
    static void on_publish(mosquitto*, void* self, int mid, int rc, const mqtt5__property* props);
    static void on_disconnect(mosquitto*, void* self, int rc, const mqtt5__property* props);
    static void on_message(mosquitto*, void* self, const struct mosquitto_message* message,
                           const mqtt5__property* props);
    static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted,
                             const mqtt5__property* props);

    mosquitto* handle_ = nullptr;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<int> connack_;
    std::optional<int> puback_;
    std::optional<int> suback_;
    std::vector<std::string> received_topics_;
    std::vector<std::string> received_payloads_;              // parallel to received_topics_
    std::vector<std::pair<std::string, std::string>> unread_; // topic, payload
    int awaited_mid_ = -1;
    bool disconnected_ = false;
    bool loop_started_ = false;
};

} // namespace sarang::test
