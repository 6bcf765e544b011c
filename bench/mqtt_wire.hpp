#pragma once
// Raw MQTT 3.1.1 for the epoll load tools (sarang-storm, sarang-ingest): packets built by hand,
// non-blocking connections with an output and an input buffer, and a parser that takes whole
// packets off the input. No thread per client and no library between the tool and the socket,
// so the broker rather than the load generator sets the pace.
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sarang::bench::mqtt {

enum : unsigned char {
    CONNECT = 0x10,
    CONNACK = 0x20,
    PUBLISH = 0x30,
    PUBACK = 0x40,
    SUBSCRIBE = 0x82,
    SUBACK = 0x90,
    DISCONNECT = 0xe0,
};

inline void put_length(std::string& out, size_t length) {
    do {
        unsigned char byte = length % 128;
        length /= 128;
        if (length > 0)
            byte |= 0x80;
        out += static_cast<char>(byte);
    } while (length > 0);
}

inline void put_u16(std::string& out, unsigned value) {
    out += static_cast<char>((value >> 8) & 0xff);
    out += static_cast<char>(value & 0xff);
}

inline void put_string(std::string& out, std::string_view text) {
    put_u16(out, static_cast<unsigned>(text.size()));
    out += text;
}

inline std::string packet(unsigned char header, const std::string& body) {
    std::string out(1, static_cast<char>(header));
    put_length(out, body.size());
    return out + body;
}

// Clean session, keepalive 60 s; client id defaults to the username.
inline std::string connect_packet(std::string_view username, std::string_view password,
                                  std::string_view client_id = {}) {
    std::string body;
    put_string(body, "MQTT");
    body += '\x04';                  // protocol level 3.1.1
    body += static_cast<char>(0xC2); // username, password, clean session
    put_u16(body, 60);
    put_string(body, client_id.empty() ? username : client_id);
    put_string(body, username);
    put_string(body, password);
    return packet(CONNECT, body);
}

// QoS 0 when packet_id is 0, else QoS 1 with that id.
inline void append_publish(std::string& out, std::string_view topic, std::string_view payload,
                           unsigned packet_id) {
    out += static_cast<char>(packet_id == 0 ? PUBLISH : PUBLISH | 0x02);
    put_length(out, 2 + topic.size() + (packet_id == 0 ? 0 : 2) + payload.size());
    put_string(out, topic);
    if (packet_id != 0)
        put_u16(out, packet_id);
    out += payload;
}

inline std::string publish_packet(std::string_view topic, std::string_view payload,
                                  unsigned packet_id) {
    std::string out;
    append_publish(out, topic, payload, packet_id);
    return out;
}

inline std::string subscribe_packet(std::string_view filter, unsigned qos, unsigned packet_id) {
    std::string body;
    put_u16(body, packet_id);
    put_string(body, filter);
    body += static_cast<char>(qos);
    return packet(SUBSCRIBE, body);
}

inline void append_puback(std::string& out, unsigned packet_id) {
    out += static_cast<char>(PUBACK);
    out += '\x02';
    put_u16(out, packet_id);
}

inline unsigned get_u16(std::string_view bytes) {
    return (static_cast<unsigned char>(bytes[0]) << 8) | static_cast<unsigned char>(bytes[1]);
}

struct Packet {
    unsigned char header = 0; // type and flags
    std::string_view body;
    unsigned char type() const { return header & 0xf0; }
};

// Takes the next whole packet from `in` at `offset`; false when none is complete yet.
inline bool next_packet(const std::string& in, size_t& offset, Packet& out) {
    size_t at = offset + 1, length = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (at >= in.size() || shift > 21)
            return false;
        unsigned char byte = static_cast<unsigned char>(in[at++]);
        length |= static_cast<size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
            break;
    }
    if (in.size() - at < length)
        return false;
    out.header = static_cast<unsigned char>(in[offset]);
    out.body = std::string_view(in).substr(at, length);
    offset = at + length;
    return true;
}

// A PUBLISH's topic, packet id (0 for QoS 0) and payload.
struct Publish {
    std::string_view topic;
    unsigned packet_id = 0;
    std::string_view payload;
};

inline Publish parse_publish(const Packet& p) {
    Publish out;
    unsigned topic_length = get_u16(p.body);
    out.topic = p.body.substr(2, topic_length);
    size_t at = 2 + topic_length;
    if ((p.header & 0x06) != 0) {
        out.packet_id = get_u16(p.body.substr(at));
        at += 2;
    }
    out.payload = p.body.substr(at);
    return out;
}

struct Connection {
    int fd = -1;
    std::string out;
    size_t sent = 0;
    std::string in;
};

inline sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    return address;
}

// A connected, non-blocking TCP socket with Nagle off; -1 on failure.
inline int open_socket(const sockaddr_in& address) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        std::perror("connect");
        ::close(fd);
        return -1;
    }
    int flags = 1;
    ioctl(fd, FIONBIO, &flags);
    return fd;
}

// Sends what the kernel takes; false when the connection failed.
inline bool flush(Connection& c) {
    while (c.sent < c.out.size()) {
        ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK;
        c.sent += static_cast<size_t>(n);
    }
    c.out.clear();
    c.sent = 0;
    return true;
}

// Reads what is there; false when the connection closed.
inline bool receive(Connection& c) {
    char buffer[16384];
    for (;;) {
        ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            c.in.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n == 0)
            return false;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

} // namespace sarang::bench::mqtt
