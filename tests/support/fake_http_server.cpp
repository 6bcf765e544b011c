#include "fake_http_server.hpp"

#include <cctype>
#include <microhttpd.h>
#include <stdexcept>
#include <thread>

namespace sarang::test {
namespace {

struct Pending {
    RecordedRequest request;
};

MHD_Result collect(void* into, MHD_ValueKind, const char* key, const char* value) {
    auto& map = *static_cast<std::map<std::string, std::string>*>(into);
    std::string name(key);
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    map[name] = value ? value : "";
    return MHD_YES;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char* data, size_t* size, void** slot) {
    auto* pending = static_cast<Pending*>(*slot);
    if (pending == nullptr) {
        pending = new Pending();
        pending->request.method = method;
        pending->request.path = url;
        MHD_get_connection_values(connection, MHD_HEADER_KIND, &collect, &pending->request.headers);
        MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &collect,
                                  &pending->request.query);
        *slot = pending;
        return MHD_YES;
    }
    if (*size > 0) {
        pending->request.body.append(data, *size);
        *size = 0;
        return MHD_YES;
    }
    FakeAnswer answer = static_cast<FakeHttpServer*>(cls)->answer(pending->request);
    if (answer.delay.count() > 0)
        std::this_thread::sleep_for(answer.delay);
    MHD_Response* response = MHD_create_response_from_buffer(answer.body.size(), answer.body.data(),
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(response, "Content-Type", "application/json");
    MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
    MHD_destroy_response(response);
    return queued;
}

void on_completed(void*, MHD_Connection*, void** slot, MHD_RequestTerminationCode) {
    delete static_cast<Pending*>(*slot);
    *slot = nullptr;
}

} // namespace

FakeHttpServer::FakeHttpServer(int port, Responder responder) : responder_(std::move(responder)) {
    daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                               static_cast<uint16_t>(port), nullptr, nullptr, &on_request, this,
                               MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr, MHD_OPTION_END);
    if (daemon_ == nullptr)
        throw std::runtime_error("fake server cannot listen on port " + std::to_string(port));
}

FakeHttpServer::~FakeHttpServer() {
    MHD_stop_daemon(daemon_);
}

FakeAnswer FakeHttpServer::answer(RecordedRequest request) {
    std::lock_guard lock(mutex_);
    FakeAnswer answer = responder_(request);
    requests_.push_back(std::move(request));
    return answer;
}

void FakeHttpServer::set_responder(Responder responder) {
    std::lock_guard lock(mutex_);
    responder_ = std::move(responder);
}

std::vector<RecordedRequest> FakeHttpServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::vector<RecordedRequest> FakeHttpServer::requests_to(const std::string& path) const {
    std::vector<RecordedRequest> out;
    for (RecordedRequest& request : requests()) {
        if (request.path == path)
            out.push_back(std::move(request));
    }
    return out;
}

} // namespace sarang::test
