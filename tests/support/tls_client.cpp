#include "tls_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sarang::test {

void TlsConnection::FreeContext::operator()(ssl_ctx_st* context) const {
    SSL_CTX_free(context);
}
void TlsConnection::FreeSsl::operator()(ssl_st* ssl) const {
    SSL_free(ssl);
}

TlsConnection::TlsConnection(int port, const std::string& ca_file, const std::string& preamble)
    : context_(SSL_CTX_new(TLS_client_method())) {
    SSL_CTX_load_verify_locations(context_.get(), ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(context_.get(), SSL_VERIFY_PEER, nullptr);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return;
    if (!preamble.empty() && ::send(fd_, preamble.data(), preamble.size(), MSG_NOSIGNAL) !=
                                 static_cast<ssize_t>(preamble.size()))
        return;
    ssl_.reset(SSL_new(context_.get()));
    SSL_set1_host(ssl_.get(), "localhost");
    SSL_set_fd(ssl_.get(), fd_);
    if (SSL_connect(ssl_.get()) != 1)
        ssl_.reset();
}

TlsConnection::~TlsConnection() {
    ssl_.reset();
    if (fd_ >= 0)
        close(fd_);
}

bool TlsConnection::send(const std::string& bytes) {
    return ssl_ && SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) ==
                       static_cast<int>(bytes.size());
}

std::string TlsConnection::read_answer() {
    if (!ssl_)
        return "";
    std::string answer;
    char buffer[4096];
    for (;;) {
        std::size_t end = answer.find("\r\n\r\n");
        if (end != std::string::npos) {
            std::size_t length = answer.find("Content-Length: ");
            if (length != std::string::npos && length < end &&
                answer.size() >= end + 4 + std::stoul(answer.substr(length + 16)))
                return answer;
        }
        int got = SSL_read(ssl_.get(), buffer, sizeof buffer);
        if (got <= 0)
            return "";
        answer.append(buffer, static_cast<std::size_t>(got));
    }
}

std::string TlsConnection::read_until_close() {
    std::string answer;
    char buffer[4096];
    for (int got; ssl_ && (got = SSL_read(ssl_.get(), buffer, sizeof buffer)) > 0;)
        answer.append(buffer, static_cast<std::size_t>(got));
    return answer;
}

} // namespace sarang::test
