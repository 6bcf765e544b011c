#include "http_client.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace sarang::test {

HttpResult http_request(int port, const std::string& method, const std::string& path,
                        const std::string& body) {
    HttpResult result;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return result;
    timeval timeout{5, 0};
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
                          "\r\n" + (body.empty() ? "" : "Content-Type: application/json\r\n") +
                          "\r\n" + body;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        close(fd);
        return result;
    }
    std::string response;
    char buffer[4096];
    for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        response.append(buffer, static_cast<size_t>(got));
    close(fd);
    if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12)
        return result;
    result.status = std::atoi(response.c_str() + 9);
    size_t body_start = response.find("\r\n\r\n");
    if (body_start != std::string::npos)
        result.body = response.substr(body_start + 4);
    return result;
}

} // namespace sarang::test
