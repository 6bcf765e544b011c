#include "stream_queue.hpp"

#include <algorithm>
#include <cstring>

namespace sarang::http {

bool StreamQueue::push(std::string chunk) {
    if (bytes_ + chunk.size() > max_bytes_)
        return false;
    bytes_ += chunk.size();
    chunks_.push_back(std::move(chunk));
    return true;
}

void StreamQueue::push_front(std::string chunk) {
    bytes_ += chunk.size();
    // A half-sent chunk must finish first, or the client would read one event cut by another.
    auto at = offset_ > 0 ? chunks_.begin() + 1 : chunks_.begin();
    chunks_.insert(at, std::move(chunk));
}

std::size_t StreamQueue::take(char* out, std::size_t max) {
    std::size_t copied = 0;
    while (copied < max && !chunks_.empty()) {
        const std::string& front = chunks_.front();
        std::size_t n = std::min(max - copied, front.size() - offset_);
        std::memcpy(out + copied, front.data() + offset_, n);
        copied += n;
        offset_ += n;
        if (offset_ == front.size()) {
            chunks_.pop_front();
            offset_ = 0;
        }
    }
    bytes_ -= copied;
    return copied;
}

void StreamQueue::clear() {
    chunks_.clear();
    bytes_ = 0;
    offset_ = 0;
}

} // namespace sarang::http
