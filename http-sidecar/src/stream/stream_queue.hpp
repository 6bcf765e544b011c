#pragma once
// The bytes a stream still has to send, bounded: a subscriber that cannot keep up is cut off
// (its EventSource reconnects and starts again from a snapshot) instead of growing the server's
// memory without limit. Not thread-safe; StreamBody locks around it.
#include <cstddef>
#include <deque>
#include <string>

namespace sarang::http {

class StreamQueue {
  public:
    explicit StreamQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    // False, and nothing queued, when the chunk would take the queue past its bound.
    bool push(std::string chunk);
    // Always queued, ahead of everything not yet started: the first snapshot, which may be larger
    // than the bound by itself (an admin's whole fleet) and is sent before any event.
    void push_front(std::string chunk);
    // Copies up to `max` bytes into `out` and forgets them; returns how many.
    std::size_t take(char* out, std::size_t max);
    void clear();

    bool empty() const { return bytes_ == 0; }
    std::size_t bytes() const { return bytes_; }

  private:
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::size_t offset_ = 0; // already sent from chunks_.front()
    std::deque<std::string> chunks_;
};

} // namespace sarang::http
