#pragma once
// A test client for the sidecar's HTTPS listeners: one TLS connection to 127.0.0.1, verified
// against the stack's CA for "localhost" like curl does. An optional preamble is sent in plain
// text before the handshake, as a proxy in TCP mode sends its PROXY protocol header.
#include <memory>
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace sarang::test {

class TlsConnection {
  public:
    TlsConnection(int port, const std::string& ca_file, const std::string& preamble = "");
    ~TlsConnection();
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    // False when the connection or the handshake failed.
    bool connected() const { return ssl_ != nullptr; }
    bool send(const std::string& bytes);
    // One HTTP answer with a Content-Length body (keep-alive); "" when none arrives whole.
    std::string read_answer();
    // Everything the server sends until it closes the connection.
    std::string read_until_close();

  private:
    struct FreeContext {
        void operator()(ssl_ctx_st* context) const;
    };
    struct FreeSsl {
        void operator()(ssl_st* ssl) const;
    };
    std::unique_ptr<ssl_ctx_st, FreeContext> context_;
    std::unique_ptr<ssl_st, FreeSsl> ssl_;
    int fd_ = -1;
};

} // namespace sarang::test
