#include "sarang_fw/outbox.hpp"

namespace sarang_fw {

void Outbox::add(std::string topic, std::string payload, int message_id) {
    if (capacity_ == 0) {
        ++dropped_;
        return;
    }
    if (pending_.size() == capacity_) {
        pending_.pop_front();
        ++dropped_;
    }
    pending_.push_back({std::move(topic), std::move(payload), message_id});
}

bool Outbox::acknowledged(int message_id) {
    if (message_id < 0)
        return false;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (it->message_id == message_id) {
            pending_.erase(it);
            return true;
        }
    }
    return false;
}

std::vector<PendingMessage*> Outbox::to_send_again() {
    std::vector<PendingMessage*> out;
    for (PendingMessage& message : pending_) {
        message.message_id = -1;
        out.push_back(&message);
    }
    return out;
}

} // namespace sarang_fw
