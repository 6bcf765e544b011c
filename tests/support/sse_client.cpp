#include "sse_client.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace sarang::test {
namespace {

using Clock = std::chrono::steady_clock;

int milliseconds_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

} // namespace

SseClient::SseClient(int port, const std::string& path, const HttpHeaders& headers,
                     std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0)
        return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close();
        return;
    }
    std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [name, value] : headers)
        request += name + ": " + value + "\r\n";
    request += "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        close();
        return;
    }
    size_t end = std::string::npos;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos)
        if (!receive(deadline))
            return;
    std::string head = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    parse_response_head(head, head_);
    if (head_.status == 0)
        return;
    status_ = head_.status;
    chunked_ = head_.header("transfer-encoding").find("chunked") != std::string::npos;
    decode_chunks();
}

SseClient::~SseClient() {
    close();
}

void SseClient::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

std::string SseClient::header(const std::string& lower_case_name) const {
    return head_.header(lower_case_name);
}

std::string SseClient::error_body() {
    size_t length = std::strtoul(header("content-length").c_str(), nullptr, 10);
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(5);
    while (raw_.size() < length && receive(deadline)) {
    }
    return raw_;
}

bool SseClient::receive(Clock::time_point deadline) {
    if (fd_ < 0 || ended_)
        return false;
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, milliseconds_left(deadline)) <= 0)
        return false;
    char buffer[8192];
    ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got <= 0) {
        ended_ = true;
        return false;
    }
    raw_.append(buffer, static_cast<size_t>(got));
    return true;
}

void SseClient::decode_chunks() {
    if (status_ != 200)
        return; // an error body stays in raw_ for error_body()
    if (!chunked_) {
        text_ += raw_;
        raw_.clear();
    }
    for (;;) {
        size_t line_end = raw_.find("\r\n");
        if (line_end == std::string::npos)
            break;
        size_t size = std::strtoul(raw_.c_str(), nullptr, 16);
        if (size == 0) { // the last chunk: the server ended the stream
            ended_ = true;
            raw_.clear();
            break;
        }
        if (raw_.size() < line_end + 2 + size + 2)
            break;
        text_.append(raw_, line_end + 2, size);
        raw_.erase(0, line_end + 2 + size + 2);
    }
    split_events();
}

void SseClient::split_events() {
    size_t end;
    while ((end = text_.find("\n\n")) != std::string::npos) {
        std::string block = text_.substr(0, end);
        text_.erase(0, end + 2);
        SseEvent event;
        bool has_data = false;
        std::istringstream lines(block);
        std::string line;
        while (std::getline(lines, line)) {
            if (line.empty())
                continue;
            if (line[0] == ':') {
                ++comments_;
                continue;
            }
            size_t colon = line.find(':');
            std::string field = line.substr(0, colon);
            std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
            if (!value.empty() && value[0] == ' ')
                value.erase(0, 1);
            if (field == "event")
                event.name = value;
            else if (field == "data") {
                event.data += (has_data ? "\n" : "") + value;
                has_data = true;
            } else if (field == "retry")
                retry_ms_ = std::atoi(value.c_str());
        }
        if (has_data) {
            if (event.name.empty())
                event.name = "message";
            events_.push_back(std::move(event));
        }
    }
}

std::optional<SseEvent> SseClient::next(std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    while (events_.empty()) {
        if (!receive(deadline))
            return std::nullopt;
        decode_chunks();
    }
    SseEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
}

std::optional<SseEvent> SseClient::wait_for(const std::string& name, const std::string& needle,
                                            std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    for (;;) {
        std::optional<SseEvent> event =
            next(std::chrono::milliseconds(milliseconds_left(deadline)));
        if (!event)
            return std::nullopt;
        if (event->name == name && event->data.find(needle) != std::string::npos)
            return event;
    }
}

bool SseClient::wait_closed(std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    while (!ended_) {
        if (!receive(deadline))
            break;
        decode_chunks();
    }
    return ended_;
}

} // namespace sarang::test
