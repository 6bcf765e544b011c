#include "stream_body.hpp"

#include <microhttpd.h>

namespace sarang::http {

StreamBody::Push StreamBody::push(std::string chunk) {
    std::lock_guard lock(mutex_);
    if (closed_ || finished_)
        return Push::over;
    if (!queue_.push(std::move(chunk))) {
        // What is queued is stale by now; the client starts over from a snapshot anyway.
        queue_.clear();
        closed_ = true;
        wake_locked();
        return Push::overflowed;
    }
    wake_locked();
    return Push::queued;
}

void StreamBody::push_front(std::string chunk) {
    std::lock_guard lock(mutex_);
    if (closed_ || finished_)
        return;
    queue_.push_front(std::move(chunk));
    wake_locked();
}

void StreamBody::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    wake_locked();
}

bool StreamBody::finished() const {
    std::lock_guard lock(mutex_);
    return finished_;
}

void StreamBody::on_finished(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    on_finished_ = std::move(callback);
}

void StreamBody::attach(MHD_Connection* connection) {
    std::lock_guard lock(mutex_);
    connection_ = connection;
}

ssize_t StreamBody::read(char* out, std::size_t max) {
    std::lock_guard lock(mutex_);
    if (!queue_.empty())
        return static_cast<ssize_t>(queue_.take(out, max));
    if (closed_ || finished_ || connection_ == nullptr)
        return -1;
    parked_ = true;
    MHD_suspend_connection(connection_);
    return 0;
}

void StreamBody::finish() {
    std::function<void()> callback;
    {
        std::lock_guard lock(mutex_);
        if (finished_)
            return;
        finished_ = true;
        closed_ = true;
        connection_ = nullptr;
        parked_ = false;
        queue_.clear();
        callback = std::move(on_finished_);
    }
    if (callback)
        callback();
}

void StreamBody::wake_locked() {
    if (!parked_)
        return;
    parked_ = false;
    MHD_resume_connection(connection_);
}

} // namespace sarang::http
