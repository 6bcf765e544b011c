#pragma once
// Test doubles for the core's platform interfaces: a clock the test moves, fixed randomness,
// storage in a map and a transport that records what the core asked of it.
#include "sarang_fw/platform.hpp"

#include <map>
#include <string>
#include <vector>

namespace fakes {

struct Clock : sarang_fw::Clock {
    std::uint64_t now = 1000;
    std::int64_t epoch = 1'763'900'000'000;
    std::uint64_t monotonic_ms() override { return now; }
    std::int64_t epoch_ms() override { return epoch + static_cast<std::int64_t>(now); }
};

struct Random : sarang_fw::Random {
    std::uint32_t value = 0;
    std::uint32_t next() override { return value; }
};

struct Store : sarang_fw::KeyValueStore {
    std::map<std::string, std::string> values;
    std::optional<std::string> get(const std::string& key) override {
        auto found = values.find(key);
        return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
    }
    bool put(const std::string& key, const std::string& value) override {
        values[key] = value;
        return true;
    }
    bool erase(const std::string& key) override {
        values.erase(key);
        return true;
    }
};

struct Published {
    std::string topic, payload;
    int message_id;
};

struct Transport : sarang_fw::MqttTransport {
    std::vector<sarang_fw::MqttSession> connects;
    std::vector<Published> published;
    std::vector<std::string> subscribed;
    int disconnects = 0;
    int next_id = 1;
    bool up = false;
    bool connect(const sarang_fw::MqttSession& session) override {
        connects.push_back(session);
        return true;
    }
    int publish(const std::string& topic, const std::string& payload, int) override {
        if (!up)
            return -1;
        published.push_back({topic, payload, next_id});
        return next_id++;
    }
    bool subscribe(const std::string& topic, int) override {
        subscribed.push_back(topic);
        return true;
    }
    void disconnect() override {
        ++disconnects;
        up = false;
    }
    std::vector<std::string> payloads_on(const std::string& topic) const {
        std::vector<std::string> out;
        for (const Published& message : published) {
            if (message.topic == topic)
                out.push_back(message.payload);
        }
        return out;
    }
};

} // namespace fakes
