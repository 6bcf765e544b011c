#include "http_client.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <netinet/in.h>
#include <sstream>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace sarang::test {

std::string HttpResult::header(const std::string& lower_case_name) const {
    auto found = headers.find(lower_case_name);
    return found == headers.end() ? std::string() : found->second;
}

HttpHeaders bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

HttpResult http_request(int port, const std::string& method, const std::string& path,
                        const std::string& body, const HttpHeaders& headers) {
    HttpResult result;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return result;
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return result;
    }
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          "Connection: close\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n";
    bool typed = false;
    for (const auto& [name, value] : headers) {
        typed = typed || strcasecmp(name.c_str(), "Content-Type") == 0;
        request += name + ": " + value + "\r\n";
    }
    if (!body.empty() && !typed)
        request += "Content-Type: application/json\r\n";
    request += "\r\n" + body;
    // A server may answer before the whole body is sent (413 on Content-Length) and close:
    // the answer is still read.
    for (size_t sent = 0; sent < request.size();) {
        ssize_t wrote = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (wrote <= 0)
            break;
        sent += static_cast<size_t>(wrote);
    }
    std::string response;
    char buffer[4096];
    for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        response.append(buffer, static_cast<size_t>(got));
    close(fd);
    size_t body_start = response.find("\r\n\r\n");
    if (body_start == std::string::npos)
        return result;
    parse_response_head(response.substr(0, body_start), result);
    if (result.status != 0)
        result.body = response.substr(body_start + 4);
    return result;
}

void parse_response_head(const std::string& head, HttpResult& result) {
    if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12)
        return;
    result.status = std::atoi(head.c_str() + 9);
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line); // status line
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string name = line.substr(0, colon);
        for (char& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t value = line.find_first_not_of(' ', colon + 1);
        result.headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
}

} // namespace sarang::test
