#include "mosquitto_transport.hpp"

#include <cstdio>
#include <exception>
#include <mosquitto.h>

namespace sarang_fw::host {
namespace {

// No exception may unwind through libmosquitto's C frames.
template <typename Action> void guarded(Action action) {
    try {
        action();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "sarang-fw: MQTT callback failed: %s\n", error.what());
    } catch (...) {
        std::fprintf(stderr, "sarang-fw: MQTT callback failed\n");
    }
}

} // namespace

MosquittoLibrary::MosquittoLibrary() {
    mosquitto_lib_init();
}

MosquittoLibrary::~MosquittoLibrary() {
    mosquitto_lib_cleanup();
}

MosquittoTransport::~MosquittoTransport() {
    close();
}

void MosquittoTransport::close() {
    if (handle_ == nullptr)
        return;
    mosquitto_destroy(handle_);
    handle_ = nullptr;
    connected_ = false;
    in_flight_ = 0;
}

// A new handle per connection: the claim and the device use different client ids, and a
// fresh handle carries nothing over from a broken session (the core's outbox does that).
bool MosquittoTransport::connect(const MqttSession& session) {
    close();
    handle_ = mosquitto_new(session.client_id.c_str(), true, this);
    if (handle_ == nullptr)
        return false;
    mosquitto_connect_callback_set(handle_, on_connect);
    mosquitto_disconnect_callback_set(handle_, on_disconnect);
    mosquitto_publish_callback_set(handle_, on_publish);
    mosquitto_message_callback_set(handle_, on_message);
    if (!configure_tls()) {
        close();
        return false;
    }
    mosquitto_username_pw_set(handle_, session.username.c_str(), session.password.c_str());
    if (!session.will_topic.empty())
        mosquitto_will_set(handle_, session.will_topic.c_str(),
                           static_cast<int>(session.will_payload.size()),
                           session.will_payload.data(), 1, false);
    lost_reported_ = false;
    int rc =
        mosquitto_connect_async(handle_, session.host.c_str(), session.port, session.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
        // Over TLS the handshake runs inside this call, so a refused certificate ends here.
        close();
        lost_reported_ = true;
        return false;
    }
    return true;
}

bool MosquittoTransport::configure_tls() {
    if (tls_.ca_file.empty())
        return true;
    if (tls_.cert_file.empty() != tls_.key_file.empty()) {
        std::fprintf(stderr, "sarang-fw: a client certificate needs its key (and the other way)\n");
        return false;
    }
    auto optional = [](const std::string& path) { return path.empty() ? nullptr : path.c_str(); };
    int rc = mosquitto_tls_set(handle_, tls_.ca_file.c_str(), nullptr, optional(tls_.cert_file),
                               optional(tls_.key_file), nullptr);
    // Verify the broker (SSL_VERIFY_PEER), including its name: mosquitto_tls_insecure_set
    // stays false.
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_tls_opts_set(handle_, 1, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        std::fprintf(stderr, "sarang-fw: TLS setup failed: %s\n", mosquitto_strerror(rc));
        return false;
    }
    return true;
}

int MosquittoTransport::publish(const std::string& topic, const std::string& payload, int qos) {
    if (handle_ == nullptr || !connected_)
        return -1;
    int mid = 0;
    if (mosquitto_publish(handle_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), qos, false) != MOSQ_ERR_SUCCESS)
        return -1;
    if (qos > 0)
        ++in_flight_;
    return mid;
}

bool MosquittoTransport::subscribe(const std::string& topic, int qos) {
    return handle_ != nullptr &&
           mosquitto_subscribe(handle_, nullptr, topic.c_str(), qos) == MOSQ_ERR_SUCCESS;
}

// The core asked for it, so it is not told again. The next poll() sends the DISCONNECT (this
// may run inside a libmosquitto callback, where the loop must not be re-entered); the handle
// goes with the next connect.
void MosquittoTransport::disconnect() {
    if (handle_ != nullptr && connected_)
        mosquitto_disconnect(handle_);
    connected_ = false;
    lost_reported_ = true;
}

void MosquittoTransport::poll() {
    if (handle_ == nullptr)
        return;
    int rc = mosquitto_loop(handle_, 0, 1);
    if (rc != MOSQ_ERR_SUCCESS && !lost_reported_) {
        // A refused TCP connect or a dead socket: libmosquitto may not call on_disconnect.
        connected_ = false;
        lost_reported_ = true;
        if (core_ != nullptr)
            core_->on_disconnected();
    }
}

void MosquittoTransport::on_connect(mosquitto*, void* self, int rc) {
    auto* transport = static_cast<MosquittoTransport*>(self);
    transport->connected_ = rc == 0;
    if (transport->core_ != nullptr)
        guarded([&] { transport->core_->on_connected(rc); });
}

void MosquittoTransport::on_disconnect(mosquitto*, void* self, int) {
    auto* transport = static_cast<MosquittoTransport*>(self);
    transport->connected_ = false;
    if (transport->lost_reported_)
        return;
    transport->lost_reported_ = true;
    if (transport->core_ != nullptr)
        guarded([&] { transport->core_->on_disconnected(); });
}

void MosquittoTransport::on_publish(mosquitto*, void* self, int mid) {
    auto* transport = static_cast<MosquittoTransport*>(self);
    if (transport->in_flight_ > 0)
        --transport->in_flight_;
    if (transport->core_ != nullptr)
        guarded([&] { transport->core_->on_published(mid); });
}

void MosquittoTransport::on_message(mosquitto*, void* self, const mosquitto_message* message) {
    auto* transport = static_cast<MosquittoTransport*>(self);
    if (transport->core_ == nullptr || message->topic == nullptr)
        return;
    guarded([&] {
        std::string payload(static_cast<const char*>(message->payload),
                            static_cast<std::size_t>(message->payloadlen));
        transport->core_->on_message(message->topic, payload);
    });
}

} // namespace sarang_fw::host
