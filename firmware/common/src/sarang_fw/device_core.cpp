#include "sarang_fw/device_core.hpp"

#include "sarang_fw/claim.hpp"

namespace sarang_fw {
namespace {

// CONNACK refusals after which a device that can register itself assumes its credential was
// revoked or rotated away and asks again (with its label PIN: a factory-reset re-key).
constexpr int refusals_before_claiming_again = 3;

} // namespace

DeviceCore::DeviceCore(CoreConfig config, DeviceApp& app, MqttTransport& transport,
                       KeyValueStore& storage, Clock& clock, Random& random)
    : config_(std::move(config)), app_(app), transport_(transport), settings_(storage),
      clock_(clock), random_(random), kind_(find_kind(config_.kind)),
      backoff_(config_.backoff_base_ms, config_.backoff_max_ms), outbox_(config_.outbox_capacity) {
    choose_phase();
}

void DeviceCore::choose_phase() {
    if (std::optional<MqttConfig> stored = settings_.mqtt()) {
        mqtt_ = *stored;
        phase_ = Phase::operating;
    } else if (!config_.factory_secret.empty() && !config_.broker_host.empty() &&
               kind_ != nullptr) {
        phase_ = Phase::claiming;
    } else {
        phase_ = Phase::needs_setup;
    }
}

void DeviceCore::loop() {
    std::uint64_t now = clock_.monotonic_ms();
    if (state_ == State::idle && (phase_ == Phase::claiming || phase_ == Phase::operating) &&
        now >= next_attempt_ms_) {
        start_connecting();
    } else if (state_ == State::connecting && now - state_since_ms_ > config_.connect_timeout_ms) {
        last_error_ = "no CONNACK in time";
        transport_.disconnect();
        on_disconnected();
    } else if (state_ == State::connected && phase_ == Phase::claiming &&
               now - state_since_ms_ > config_.claim_timeout_ms) {
        last_error_ = "no answer to the claim in time";
        transport_.disconnect();
        on_disconnected();
    }
    if (online())
        app_.tick(*this);
}

void DeviceCore::start_connecting() {
    MqttSession session;
    if (phase_ == Phase::claiming) {
        session.host = config_.broker_host;
        session.port = config_.broker_port;
        session.client_id = claim_client_id();
        session.username = "$provision";
        session.password = config_.factory_secret;
    } else {
        session.host = mqtt_.host;
        session.port = mqtt_.port;
        session.client_id = mqtt_.client_id;
        session.username = mqtt_.username;
        session.password = mqtt_.password;
        session.will_topic = topic(mqtt_.topic_prefix, "status");
        session.will_payload = app_.status_payload(false);
    }
    state_ = State::connecting;
    state_since_ms_ = clock_.monotonic_ms();
    claim_sent_ = false;
    if (!transport_.connect(session)) {
        last_error_ = "the transport could not start connecting";
        state_ = State::idle;
        schedule_retry(backoff_.next_delay_ms(random_));
    }
}

void DeviceCore::schedule_retry(std::uint32_t delay_ms) {
    next_attempt_ms_ = clock_.monotonic_ms() + delay_ms;
}

void DeviceCore::on_connected(int reason_code) {
    if (state_ != State::connecting)
        return;
    if (reason_code != 0) {
        last_error_ = "connection refused (reason " + std::to_string(reason_code) + ")";
        transport_.disconnect();
        state_ = State::idle;
        if (phase_ == Phase::operating && !config_.factory_secret.empty() &&
            ++refusals_in_a_row_ >= refusals_before_claiming_again) {
            refusals_in_a_row_ = 0;
            settings_.forget_credential();
            choose_phase();
        }
        schedule_retry(backoff_.next_delay_ms(random_));
        return;
    }
    refusals_in_a_row_ = 0;
    state_ = State::connected;
    state_since_ms_ = clock_.monotonic_ms();
    if (phase_ == Phase::claiming) {
        transport_.subscribe(claim_response_topic(claim_client_id()), 1);
        claim_sent_ =
            transport_.publish(claim_request_topic(claim_client_id()),
                               claim_request(config_.device_id, config_.label_pin, config_.kind),
                               1) >= 0;
        return;
    }
    come_online();
}

void DeviceCore::come_online() {
    backoff_.reset();
    if (kind_ != nullptr) {
        for (std::string_view receive : kind_->receives) {
            if (!receive.empty())
                transport_.subscribe(topic(mqtt_.topic_prefix, receive), 1);
        }
    }
    publish("status", app_.status_payload(true));
    for (PendingMessage* message : outbox_.to_send_again())
        message->message_id = transport_.publish(message->topic, message->payload, 1);
    app_.on_online(*this);
}

void DeviceCore::on_disconnected() {
    if (state_ == State::idle)
        return;
    state_ = State::idle;
    if (next_attempt_ms_ > clock_.monotonic_ms())
        return; // a retry time was already chosen (a claim answer said when)
    schedule_retry(backoff_.next_delay_ms(random_));
}

void DeviceCore::on_message(const std::string& full_topic, const std::string& payload) {
    if (state_ != State::connected)
        return;
    if (phase_ == Phase::claiming) {
        if (full_topic == claim_response_topic(claim_client_id()))
            handle_claim_answer(payload);
        return;
    }
    std::string_view subtopic = subtopic_of(full_topic, mqtt_.topic_prefix);
    if (!subtopic.empty())
        handle_command(subtopic, payload);
}

void DeviceCore::handle_claim_answer(const std::string& payload) {
    ClaimAnswer answer = parse_claim_answer(payload);
    switch (answer.outcome) {
    case ClaimAnswer::Outcome::credential:
        mqtt_ = {config_.broker_host, config_.broker_port, answer.client_id,
                 answer.username,     answer.password,     answer.topic_prefix};
        if (!settings_.save_mqtt(mqtt_))
            last_error_ = "could not store the credential; it lasts until a restart";
        phase_ = Phase::operating;
        backoff_.reset();
        next_attempt_ms_ = clock_.monotonic_ms(); // reconnect as the device at once
        break;
    case ClaimAnswer::Outcome::retry_later:
        last_error_ = "claim: " + answer.status;
        schedule_retry(answer.retry_after_ms != 0 ? answer.retry_after_ms
                                                  : backoff_.next_delay_ms(random_));
        break;
    case ClaimAnswer::Outcome::refused:
        last_error_ = "claim refused: " + answer.status;
        phase_ = Phase::refused;
        break;
    }
    transport_.disconnect();
    state_ = State::idle;
}

void DeviceCore::handle_command(std::string_view subtopic, const std::string& payload) {
    std::optional<Json> root = Json::parse(payload);
    if (!root || !root->view().is_object())
        return; // Sarang sends JSON objects only
    Command command;
    command.subtopic = std::string(subtopic);
    command.payload = root->view();
    command.id = command.payload.string("id").value_or("");
    command.key = !command.id.empty() ? command.id : command.payload.string("orderId").value_or("");
    if (!command.key.empty() && !commands_.first_time(command.key)) {
        if (std::optional<RememberedAnswer> before = commands_.answer_for(command.key))
            transport_.publish(before->topic, before->payload, 1);
        return;
    }
    app_.on_command(*this, command);
}

void DeviceCore::on_published(int message_id) {
    outbox_.acknowledged(message_id);
}

bool DeviceCore::publish(std::string_view subtopic, const std::string& payload) {
    if (!online())
        return false;
    return transport_.publish(topic(mqtt_.topic_prefix, subtopic), payload, 1) >= 0;
}

void DeviceCore::publish_reliably(std::string_view subtopic, const std::string& payload) {
    std::string full = topic(mqtt_.topic_prefix, subtopic);
    int message_id = online() ? transport_.publish(full, payload, 1) : -1;
    outbox_.add(std::move(full), payload, message_id);
}

void DeviceCore::answer(const Command& command, std::string_view subtopic,
                        const std::string& payload) {
    std::string full = topic(mqtt_.topic_prefix, subtopic);
    if (!command.key.empty())
        commands_.answered(command.key, {full, payload});
    if (online())
        transport_.publish(full, payload, 1);
}

} // namespace sarang_fw
