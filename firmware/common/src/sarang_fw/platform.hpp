#pragma once
// What the core needs from the hardware and the OS, as interfaces: an Arduino sketch, the Linux
// probe and sarang-sim each implement them, and the unit tests use plain fakes.
#include <cstdint>
#include <optional>
#include <string>

namespace sarang_fw {

class Clock {
  public:
    virtual ~Clock() = default;
    // Milliseconds since an arbitrary start; never goes back.
    virtual std::uint64_t monotonic_ms() = 0;
    // Milliseconds since 1970, or 0 while the device does not know the time (no NTP yet).
    virtual std::int64_t epoch_ms() = 0;
};

class Random {
  public:
    virtual ~Random() = default;
    virtual std::uint32_t next() = 0;
};

// Non-volatile key-value storage (ESP32 Preferences, an EEPROM page, a file on Linux). Keys are
// at most 15 characters (the ESP32 NVS limit).
class KeyValueStore {
  public:
    virtual ~KeyValueStore() = default;
    virtual std::optional<std::string> get(const std::string& key) = 0;
    virtual bool put(const std::string& key, const std::string& value) = 0;
    virtual bool erase(const std::string& key) = 0;
};

struct MqttSession {
    std::string host;
    int port = 1883;
    std::string client_id;
    std::string username;
    std::string password;
    std::string will_topic; // empty: no will
    std::string will_payload;
    int keepalive_s = 30;
};

// An MQTT client. Calls return at once; what happens later is reported to the DeviceCore
// (on_connected, on_disconnected, on_message, on_published) from the device's own loop.
class MqttTransport {
  public:
    virtual ~MqttTransport() = default;
    // Starts connecting; false when it could not even start (no network).
    virtual bool connect(const MqttSession& session) = 0;
    // QoS 0 or 1; the message id that on_published will report, or -1 when it was not sent.
    virtual int publish(const std::string& topic, const std::string& payload, int qos) = 0;
    virtual bool subscribe(const std::string& topic, int qos) = 0;
    virtual void disconnect() = 0;
};

struct HttpReply {
    int status = 0; // 0: no answer (network error)
    std::string body;
};

class HttpClient {
  public:
    virtual ~HttpClient() = default;
    // multipart/form-data with a "photo" file part and a "meta" text part, X-API-Key: api_key.
    virtual HttpReply post_photo(const std::string& url, const std::string& api_key,
                                 const std::string& jpeg, const std::string& meta_json) = 0;
};

} // namespace sarang_fw
