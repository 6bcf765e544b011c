#pragma once
// A Server-Sent Events reader for tests: one HTTP/1.1 GET on a plain socket, the chunked body
// decoded as it arrives, split into events. Every wait has a timeout, so a silent server fails
// the test instead of hanging it.
#include "http_client.hpp"

#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace sarang::test {

struct SseEvent {
    std::string name; // "message" when the event had no event: field
    std::string data; // data fields joined with '\n'
};

class SseClient {
  public:
    // Sends the request and reads the status line and headers (up to `timeout`).
    SseClient(int port, const std::string& path, const HttpHeaders& headers = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~SseClient();
    SseClient(const SseClient&) = delete;
    SseClient& operator=(const SseClient&) = delete;

    int status() const { return status_; } // 0: no response
    std::string header(const std::string& lower_case_name) const;
    // The body of a response that is not a stream (an error), read to its end.
    std::string error_body();

    // The next event within the timeout; nullopt on timeout or when the stream ended.
    std::optional<SseEvent> next(std::chrono::milliseconds timeout);
    // Skips events until one named `name` whose data contains `needle`.
    std::optional<SseEvent> wait_for(const std::string& name, const std::string& needle,
                                     std::chrono::milliseconds timeout);
    // True when the server ends the stream within the timeout (events meanwhile are skipped).
    bool wait_closed(std::chrono::milliseconds timeout);

    int retry_ms() const { return retry_ms_; } // -1 until a retry: field arrived
    int comments() const { return comments_; } // ": ..." lines seen so far
    void close();

  private:
    bool receive(std::chrono::steady_clock::time_point deadline); // false: closed or timed out
    void decode_chunks();
    void split_events();

    int fd_ = -1;
    int status_ = 0;
    bool chunked_ = false;
    bool ended_ = false;
    HttpResult head_;
    std::string raw_;  // received, not yet de-chunked
    std::string text_; // de-chunked, not yet split into events
    std::deque<SseEvent> events_;
    int retry_ms_ = -1;
    int comments_ = 0;
};

} // namespace sarang::test
