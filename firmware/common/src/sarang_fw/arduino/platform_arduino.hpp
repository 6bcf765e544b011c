#pragma once
// The core's platform interfaces on an ESP32 or ESP8266 with the Arduino core: millis(), the
// hardware random generator, NTP time, Preferences (ESP32) or LittleFS (ESP8266) as NVS, and
// PubSubClient as the MQTT transport. Header-only and compiled only by the Arduino IDE or
// arduino-cli (ARDUINO is defined there); the host build never includes it.
#ifdef ARDUINO
#include "sarang_fw/device_core.hpp"
#include "sarang_fw/device_id.hpp"

#include <Arduino.h>
#include <PubSubClient.h>
#include <time.h>
#if defined(ESP32)
#include <Preferences.h>
#include <WiFi.h>
#else
#include <ESP8266WiFi.h>
#include <LittleFS.h>
#endif

namespace sarang_fw::arduino {

class BoardClock : public Clock {
  public:
    std::uint64_t monotonic_ms() override {
        // millis() wraps after 49 days; count the wraps.
        std::uint32_t now = millis();
        if (now < last_)
            high_ += 1ull << 32;
        last_ = now;
        return high_ + now;
    }
    std::int64_t epoch_ms() override {
        time_t now = time(nullptr);
        return now > 1'600'000'000 ? static_cast<std::int64_t>(now) * 1000 : 0; // NTP yet?
    }

  private:
    std::uint32_t last_ = 0;
    std::uint64_t high_ = 0;
};

class BoardRandom : public Random {
  public:
#if defined(ESP32)
    std::uint32_t next() override {
        return esp_random();
    }
#else
    std::uint32_t next() override {
        return RANDOM_REG32;
    }
#endif
};

#if defined(ESP32)
class NvsStore : public KeyValueStore {
  public:
    NvsStore() { prefs_.begin("sarang", false); }
    std::optional<std::string> get(const std::string& key) override {
        if (!prefs_.isKey(key.c_str()))
            return std::nullopt;
        return std::string(prefs_.getString(key.c_str()).c_str());
    }
    bool put(const std::string& key, const std::string& value) override {
        return prefs_.putString(key.c_str(), value.c_str()) == value.size();
    }
    bool erase(const std::string& key) override {
        prefs_.remove(key.c_str());
        return true;
    }

  private:
    Preferences prefs_;
};
#else
// One small file per key on LittleFS (the ESP8266 has no NVS).
class NvsStore : public KeyValueStore {
  public:
    NvsStore() { LittleFS.begin(); }
    std::optional<std::string> get(const std::string& key) override {
        File file = LittleFS.open(("/sarang/" + key).c_str(), "r");
        if (!file)
            return std::nullopt;
        return std::string(file.readString().c_str());
    }
    bool put(const std::string& key, const std::string& value) override {
        File file = LittleFS.open(("/sarang/" + key).c_str(), "w");
        return file && file.write(reinterpret_cast<const uint8_t*>(value.data()), value.size()) ==
                           value.size();
    }
    bool erase(const std::string& key) override {
        LittleFS.remove(("/sarang/" + key).c_str());
        return true;
    }
};
#endif

// PubSubClient connects synchronously and publishes at QoS 0 only, so every publish counts as
// acknowledged once written; the core's outbox still resends what was written while the
// connection was already dead (publish() returns false then).
class PubSubTransport : public MqttTransport {
  public:
    PubSubTransport() : client_(net_) {
        client_.setBufferSize(1024);
        client_.setCallback([this](char* topic, byte* payload, unsigned int length) {
            if (core_ != nullptr)
                core_->on_message(topic, std::string(reinterpret_cast<char*>(payload), length));
        });
    }
    void attach(DeviceCore& core) { core_ = &core; }
    bool connect(const MqttSession& session) override {
        host_ = session.host;
        client_.setServer(host_.c_str(), static_cast<uint16_t>(session.port));
        client_.setKeepAlive(static_cast<uint16_t>(session.keepalive_s));
        bool ok = session.will_topic.empty()
                      ? client_.connect(session.client_id.c_str(), session.username.c_str(),
                                        session.password.c_str())
                      : client_.connect(session.client_id.c_str(), session.username.c_str(),
                                        session.password.c_str(), session.will_topic.c_str(), 1,
                                        false, session.will_payload.c_str());
        was_connected_ = ok;
        if (core_ != nullptr)
            core_->on_connected(ok ? 0 : (client_.state() == 5 ? 5 : client_.state()));
        return true;
    }
    int publish(const std::string& topic, const std::string& payload, int) override {
        if (!client_.publish(topic.c_str(), reinterpret_cast<const uint8_t*>(payload.data()),
                             payload.size()))
            return -1;
        int id = ++next_id_;
        pending_ack_ = id;
        return id;
    }
    bool subscribe(const std::string& topic, int qos) override {
        return client_.subscribe(topic.c_str(), static_cast<uint8_t>(qos));
    }
    void disconnect() override {
        client_.disconnect();
        was_connected_ = false;
    }
    void poll() {
        if (pending_ack_ != 0 && core_ != nullptr) {
            core_->on_published(pending_ack_);
            pending_ack_ = 0;
        }
        if (!was_connected_)
            return;
        if (!client_.loop()) {
            was_connected_ = false;
            if (core_ != nullptr)
                core_->on_disconnected();
        }
    }

  private:
    WiFiClient net_;
    PubSubClient client_;
    DeviceCore* core_ = nullptr;
    std::string host_;
    bool was_connected_ = false;
    int next_id_ = 0;
    int pending_ack_ = 0;
};

// The device id from the station MAC, the same id the backend registers.
inline std::string board_device_id() {
    uint8_t mac[6];
    WiFi.macAddress(mac);
    std::array<std::uint8_t, 6> bytes;
    for (int i = 0; i < 6; ++i)
        bytes[static_cast<std::size_t>(i)] = mac[i];
    return device_id_from_mac(bytes);
}

} // namespace sarang_fw::arduino
#endif
