#pragma once
// The body of one open event stream, shared by its producer (the StreamHub thread, and the
// handler that queues the first snapshot) and the libmicrohttpd thread that sends it.
//
// libmicrohttpd pulls a streamed body from a content reader. With internal polling threads a
// reader that answers "nothing yet" (0) is called again at once, a busy loop. So when the queue
// is empty the reader parks the connection (MHD_suspend_connection, allowed from a content
// reader) and the next push resumes it (MHD_resume_connection, thread-safe). Both happen under
// the body's mutex, so a push can never miss a park: `parked_` is true exactly while the
// connection is suspended, and a suspended connection cannot be closed under us.
#include "stream_queue.hpp"

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <sys/types.h>

struct MHD_Connection;

namespace sarang::http {

class StreamBody {
  public:
    explicit StreamBody(std::size_t max_pending_bytes) : queue_(max_pending_bytes) {}
    StreamBody(const StreamBody&) = delete;
    StreamBody& operator=(const StreamBody&) = delete;

    // Producer side. `overflowed` is answered once, for the chunk that did not fit: the stream
    // then ends and its client reconnects. `over`: the stream had already ended.
    enum class Push { queued, overflowed, over };
    Push push(std::string chunk);
    void push_front(std::string chunk);
    // Ends the stream after what is queued (server shutdown, session gone).
    void close();
    // The connection is gone, or the stream was never handed to one.
    bool finished() const;
    // Runs once, on whichever thread ends the stream, with no lock of the body held.
    void on_finished(std::function<void()> callback);

    // Server side.
    void attach(MHD_Connection* connection);
    // > 0: bytes copied; 0: nothing yet and the connection is parked; -1: the stream is over.
    ssize_t read(char* out, std::size_t max);
    // The response was freed (the connection closed), or it could not be made at all.
    void finish();

  private:
    void wake_locked();

    mutable std::mutex mutex_;
    StreamQueue queue_;
    MHD_Connection* connection_ = nullptr;
    bool parked_ = false;
    bool closed_ = false;
    bool finished_ = false;
    std::function<void()> on_finished_;
};

} // namespace sarang::http
