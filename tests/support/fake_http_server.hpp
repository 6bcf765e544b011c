#pragma once
// A stand-in HTTP server for tests (the GOWA gateway, a webhook receiver): records every request
// and answers with what the test's responder says, optionally after a delay. libmicrohttpd, one
// thread per connection so a delayed answer does not hold up others.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct MHD_Daemon;

namespace sarang::test {

struct RecordedRequest {
    std::string method;
    std::string path; // without the query
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
};

struct FakeAnswer {
    int status = 200;
    std::string body = "{}";
    std::chrono::milliseconds delay{0};
};

class FakeHttpServer {
  public:
    using Responder = std::function<FakeAnswer(const RecordedRequest&)>;
    FakeHttpServer(int port, Responder responder);
    ~FakeHttpServer();

    std::vector<RecordedRequest> requests() const;
    // Requests whose path equals `path`.
    std::vector<RecordedRequest> requests_to(const std::string& path) const;
    void set_responder(Responder responder);

    // For the libmicrohttpd callback.
    FakeAnswer answer(RecordedRequest request);

  private:
    mutable std::mutex mutex_;
    Responder responder_;
    std::vector<RecordedRequest> requests_;
    MHD_Daemon* daemon_ = nullptr;
};

} // namespace sarang::test
