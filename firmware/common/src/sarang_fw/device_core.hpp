#pragma once
// The life of one device, the same on an ESP32, a Raspberry Pi and in sarang-sim: register
// itself with the factory secret when it has no credential, connect with jittered backoff and a
// last will, subscribe to its kind's command topics, hand commands to the device's own logic
// once per command id, answer repeats from memory, and keep readings that must arrive until the
// broker has them. Single-threaded: the transport's events are passed in from the device loop.
#include "sarang_fw/backoff.hpp"
#include "sarang_fw/command_memory.hpp"
#include "sarang_fw/json.hpp"
#include "sarang_fw/kinds.hpp"
#include "sarang_fw/outbox.hpp"
#include "sarang_fw/platform.hpp"
#include "sarang_fw/settings_store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sarang_fw {

struct CoreConfig {
    std::string kind;           // a kind name of kinds.hpp
    std::string device_id;      // the MAC-derived id (device_id.hpp); the claim asks for it
    std::string label_pin;      // printed on the device; proves a factory reset
    std::string factory_secret; // empty: the device cannot register itself
    std::string broker_host;    // for the claim, while nothing is stored
    int broker_port = 1883;
    std::size_t outbox_capacity = 64;
    std::uint32_t backoff_base_ms = 1000;
    std::uint32_t backoff_max_ms = 60000;
    std::uint32_t connect_timeout_ms = 20000;
    std::uint32_t claim_timeout_ms = 15000;
};

// A command as received: the subtopic under the device's prefix and its JSON object.
struct Command {
    std::string subtopic;
    std::string id;  // the outbox's command id, "" when absent (seed-style senders)
    std::string key; // what repeats are recognised by: id, else orderId, else ""
    JsonView payload;
};

class DeviceCore;

// The device's own behaviour (a vending machine, a lock, a probe).
class DeviceApp {
  public:
    virtual ~DeviceApp() = default;
    // The {prefix}/status payload: online when connecting, offline as the last will.
    virtual std::string status_payload(bool online) = 0;
    // Connected and subscribed (again).
    virtual void on_online(DeviceCore&) {}
    // A command seen for the first time. Answer with DeviceCore::answer, now or later.
    virtual void on_command(DeviceCore&, const Command&) {}
    // Called from every DeviceCore::loop.
    virtual void tick(DeviceCore&) {}
};

class DeviceCore {
  public:
    enum class Phase {
        needs_setup, // no credential and no way to get one: the SoftAP portal's turn
        claiming,    // connecting as $provision to get a credential
        operating,   // connecting or connected as the device
        refused,     // the claim was refused for good (wrong label PIN, ...): see last_error
    };

    DeviceCore(CoreConfig config, DeviceApp& app, MqttTransport& transport, KeyValueStore& storage,
               Clock& clock, Random& random);

    // Call often (every pass of the device's loop).
    void loop();

    // The transport's events.
    void on_connected(int reason_code); // 0 accepted
    void on_disconnected();
    void on_message(const std::string& topic, const std::string& payload);
    void on_published(int message_id);

    // For the device's logic. Topics are subtopics under the device's prefix; QoS 1.
    bool publish(std::string_view subtopic, const std::string& payload);
    // Kept until the broker acknowledges it, sent again after reconnects (outbox.hpp).
    void publish_reliably(std::string_view subtopic, const std::string& payload);
    // The answer to a command, remembered so a repeat of the command gets it again.
    void answer(const Command& command, std::string_view subtopic, const std::string& payload);

    Phase phase() const { return phase_; }
    bool online() const { return state_ == State::connected && phase_ == Phase::operating; }
    const std::string& topic_prefix() const { return mqtt_.topic_prefix; }
    const std::string& device_name() const { return mqtt_.username; }
    const std::string& password() const { return mqtt_.password; }
    const std::string& last_error() const { return last_error_; }
    std::uint64_t outbox_dropped() const { return outbox_.dropped(); }
    std::size_t outbox_size() const { return outbox_.size(); }
    Clock& clock() { return clock_; }
    Random& random() { return random_; }

  private:
    enum class State { idle, connecting, connected };

    void choose_phase();
    void start_connecting();
    void schedule_retry(std::uint32_t delay_ms);
    void come_online();
    void handle_claim_answer(const std::string& payload);
    void handle_command(std::string_view subtopic, const std::string& payload);
    std::string claim_client_id() const { return "boot:" + config_.device_id; }

    CoreConfig config_;
    DeviceApp& app_;
    MqttTransport& transport_;
    SettingsStore settings_;
    Clock& clock_;
    Random& random_;
    const KindInfo* kind_;
    Backoff backoff_;
    CommandMemory commands_;
    Outbox outbox_;
    MqttConfig mqtt_;
    Phase phase_ = Phase::needs_setup;
    State state_ = State::idle;
    std::uint64_t next_attempt_ms_ = 0;
    std::uint64_t state_since_ms_ = 0;
    bool claim_sent_ = false;
    int refusals_in_a_row_ = 0;
    std::string last_error_;
};

} // namespace sarang_fw
