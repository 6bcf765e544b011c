#pragma once
// Readings a device wants delivered end to end: kept until the broker acknowledges them (QoS 1
// PUBACK) and published again after a reconnect. Every reading carries the device's own
// timestamp, so the backend lands a repeat once (docs/telemetry.md). Bounded: when full, the
// oldest reading goes, and the count of dropped ones says so.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace sarang_fw {

struct PendingMessage {
    std::string topic;
    std::string payload;
    int message_id = -1; // -1: not handed to the transport in this connection
};

class Outbox {
  public:
    explicit Outbox(std::size_t capacity = 64) : capacity_(capacity) {}

    void add(std::string topic, std::string payload, int message_id);
    // The broker acknowledged message_id; true when it was one of ours.
    bool acknowledged(int message_id);
    // A new connection: nothing in flight any more; every message must go again.
    std::vector<PendingMessage*> to_send_again();
    std::size_t size() const { return pending_.size(); }
    std::uint64_t dropped() const { return dropped_; }

  private:
    std::size_t capacity_;
    std::deque<PendingMessage> pending_;
    std::uint64_t dropped_ = 0;
};

} // namespace sarang_fw
