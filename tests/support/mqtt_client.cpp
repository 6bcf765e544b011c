#include "mqtt_client.hpp"

#include <algorithm>
#include <mosquitto.h>
#include <stdexcept>

namespace sarang::test {
namespace {
struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
    ~LibraryInit() { mosquitto_lib_cleanup(); }
};
LibraryInit library_init;
} // namespace

MqttClient::MqttClient(const std::string& client_id, int protocol) {
    handle_ = mosquitto_new(client_id.c_str(), true, this);
    if (handle_ == nullptr)
        throw std::runtime_error("mosquitto_new failed");
    mosquitto_int_option(handle_, MOSQ_OPT_PROTOCOL_VERSION,
                         protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_connect_v5_callback_set(handle_, &MqttClient::on_connect);
    mosquitto_publish_v5_callback_set(handle_, &MqttClient::on_publish);
    mosquitto_disconnect_v5_callback_set(handle_, &MqttClient::on_disconnect);
    mosquitto_subscribe_v5_callback_set(handle_, &MqttClient::on_subscribe);
    mosquitto_message_v5_callback_set(handle_, &MqttClient::on_message);
}

MqttClient::~MqttClient() {
    if (loop_started_) {
        mosquitto_disconnect(handle_);
        mosquitto_loop_stop(handle_, false);
    }
    mosquitto_destroy(handle_);
}

void MqttClient::on_connect(mosquitto* handle, void* self, int rc, int, const mqtt5__property*) {
    auto& client = *static_cast<MqttClient*>(self);
    {
        std::lock_guard lock(client.mutex_);
        client.connack_ = rc;
    }
    if (rc != 0)
        mosquitto_disconnect(handle); // stop the loop from reconnecting
    client.changed_.notify_all();
}

void MqttClient::on_publish(mosquitto*, void* self, int mid, int rc, const mqtt5__property*) {
    auto& client = *static_cast<MqttClient*>(self);
    {
        std::lock_guard lock(client.mutex_);
        if (mid == client.awaited_mid_)
            client.puback_ = rc;
    }
    client.changed_.notify_all();
}

void MqttClient::on_disconnect(mosquitto* handle, void* self, int, const mqtt5__property*) {
    auto& client = *static_cast<MqttClient*>(self);
    {
        std::lock_guard lock(client.mutex_);
        client.disconnected_ = true;
    }
    mosquitto_disconnect(handle); // no automatic reconnect: tests look at each connection
    client.changed_.notify_all();
}

void MqttClient::on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted,
                              const mqtt5__property*) {
    auto& client = *static_cast<MqttClient*>(self);
    {
        std::lock_guard lock(client.mutex_);
        if (mid == client.awaited_mid_ && count > 0)
            client.suback_ = granted[0];
    }
    client.changed_.notify_all();
}

void MqttClient::on_message(mosquitto*, void* self, const mosquitto_message* message,
                            const mqtt5__property*) {
    auto& client = *static_cast<MqttClient*>(self);
    {
        std::lock_guard lock(client.mutex_);
        client.received_topics_.push_back(message->topic);
        std::string payload(static_cast<const char*>(message->payload),
                            static_cast<size_t>(message->payloadlen));
        client.received_payloads_.push_back(payload);
        client.unread_.emplace_back(message->topic, std::move(payload));
    }
    client.changed_.notify_all();
}

bool MqttClient::wait_message(const std::string& topic, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return std::find(received_topics_.begin(), received_topics_.end(), topic) !=
               received_topics_.end();
    });
}

std::vector<std::string> MqttClient::payloads(const std::string& topic) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> found;
    for (size_t i = 0; i < received_topics_.size(); ++i) {
        if (received_topics_[i] == topic)
            found.push_back(received_payloads_[i]);
    }
    return found;
}

size_t MqttClient::received_count() {
    std::lock_guard lock(mutex_);
    return received_topics_.size();
}

std::vector<std::string> MqttClient::received_topics() {
    std::lock_guard lock(mutex_);
    return received_topics_;
}

std::optional<std::string> MqttClient::next_payload(const std::string& topic,
                                                    std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    auto unread = [&] {
        return std::find_if(unread_.begin(), unread_.end(),
                            [&](const auto& message) { return message.first == topic; });
    };
    if (!changed_.wait_for(lock, timeout, [&] { return unread() != unread_.end(); }))
        return std::nullopt;
    auto found = unread();
    std::string payload = std::move(found->second);
    unread_.erase(found);
    return payload;
}

bool MqttClient::wait_message_count(const std::string& topic, size_t count,
                                    std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return static_cast<size_t>(
                   std::count(received_topics_.begin(), received_topics_.end(), topic)) >= count;
    });
}

int MqttClient::subscribe(const std::string& filter, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    suback_.reset();
    int mid = 0;
    if (mosquitto_subscribe(handle_, &mid, filter.c_str(), 1) != MOSQ_ERR_SUCCESS)
        return no_answer;
    awaited_mid_ = mid;
    changed_.wait_for(lock, timeout, [this] { return suback_.has_value() || disconnected_; });
    return suback_.value_or(no_answer);
}

void MqttClient::set_will(const std::string& topic, const std::string& payload) {
    mosquitto_will_set(handle_, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1,
                       false);
}

void MqttClient::disconnect_with_will() {
    mosquitto_disconnect_v5(handle_, 0x04, nullptr);
}

bool MqttClient::set_tls(const std::string& cafile, const std::string& certfile,
                         const std::string& keyfile) {
    return mosquitto_tls_set(
               handle_, cafile.c_str(), nullptr, certfile.empty() ? nullptr : certfile.c_str(),
               keyfile.empty() ? nullptr : keyfile.c_str(), nullptr) == MOSQ_ERR_SUCCESS;
}

int MqttClient::connect(int port, const std::string& username, const std::string& password,
                        std::chrono::milliseconds timeout) {
    if (!username.empty())
        mosquitto_username_pw_set(handle_, username.c_str(), password.c_str());
    if (mosquitto_connect(handle_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS)
        return no_answer;
    if (mosquitto_loop_start(handle_) != MOSQ_ERR_SUCCESS)
        return no_answer;
    loop_started_ = true;
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return connack_.has_value() || disconnected_; });
    return connack_.value_or(no_answer);
}

int MqttClient::publish(const std::string& topic, const std::string& payload,
                        std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    puback_.reset();
    int mid = 0;
    // Hold the lock so the PUBACK cannot arrive before awaited_mid_ is set.
    if (mosquitto_publish(handle_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, false) != MOSQ_ERR_SUCCESS)
        return no_answer;
    awaited_mid_ = mid;
    changed_.wait_for(lock, timeout, [this] { return puback_.has_value() || disconnected_; });
    return puback_.value_or(no_answer);
}

bool MqttClient::wait_disconnected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return disconnected_; });
}

} // namespace sarang::test
