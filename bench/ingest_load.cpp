#include "ingest_load.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/epoll.h>
#include <unistd.h>

namespace sarang::bench {
namespace {

long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

class Loop {
  public:
    explicit Loop(const LoadSettings& settings) : s_(settings), epoll_(epoll_create1(0)) {}
    ~Loop() {
        for (Link& link : links_) {
            if (link.fd >= 0) {
                ::send(link.fd, "\xe0\x00", 2, MSG_NOSIGNAL);
                ::close(link.fd);
            }
        }
        ::close(epoll_);
    }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    LoadResult run();

  private:
    bool open(Role role, const Credential& who, const std::string& client_id);
    bool connect_all();
    void publish(Link& link, std::string_view extra = {});
    void arm(size_t index);
    bool pump(int timeout_ms); // false when a connection failed
    bool handle(size_t index);
    void fill(Clock::time_point now);
    std::uint64_t in_flight() const;

    const LoadSettings& s_;
    int epoll_;
    std::vector<Link> links_;
    size_t publishers_ = 0;
    LoadResult result_;
    bool publishing_ = false;
    std::uint64_t published_ = 0; // by the publishers, without the probe
    std::vector<char> touched_;
    double tokens_ = 0;
    Clock::time_point refilled_;
    size_t next_turn_ = 0;
};

bool Loop::open(Role role, const Credential& who, const std::string& client_id) {
    Link link;
    link.role = role;
    link.fd = mqtt::open_socket(mqtt::loopback(s_.port));
    if (link.fd < 0)
        return false;
    link.topic = "hydro/" + who.id + "/reading";
    link.out = mqtt::connect_packet(who.id, who.password, client_id);
    links_.push_back(std::move(link));
    epoll_event event{EPOLLIN, {.u64 = links_.size() - 1}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, links_.back().fd, &event);
    arm(links_.size() - 1);
    return true;
}

bool Loop::connect_all() {
    for (const Credential& device : s_.devices) {
        if (!open(Role::publisher, device, {}))
            return false;
    }
    publishers_ = links_.size();
    if (!s_.probe.id.empty() &&
        (!open(Role::probe, s_.probe, {}) ||
         !open(Role::watcher, s_.watcher, "ingest-watch-" + std::to_string(getpid()))))
        return false;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!std::all_of(links_.begin(), links_.end(), [](const Link& l) { return l.ready; })) {
        if (Clock::now() > deadline) {
            std::fprintf(stderr, "sarang-ingest: connections not ready within 30 s\n");
            return false;
        }
        if (!pump(100))
            return false;
    }
    return true;
}

void Loop::publish(Link& link, std::string_view extra) {
    std::uint64_t k = link.sent++;
    std::int64_t ts = s_.ts_start + static_cast<std::int64_t>(k);
    result_.next_ts = std::max(result_.next_ts, ts + 1);
    mqtt::append_publish(link.out, link.topic, reading_payload(k, ts, extra), link.next_id);
    link.next_id = link.next_id == 65535 ? 1 : link.next_id + 1;
    ++link.in_flight;
    ++result_.sent;
}

// Sends what is queued; asks for EPOLLOUT while something is left.
void Loop::arm(size_t index) {
    Link& link = links_[index];
    mqtt::flush(link);
    bool want = !link.out.empty();
    if (want != link.want_out) {
        link.want_out = want;
        epoll_event event{EPOLLIN | (want ? static_cast<uint32_t>(EPOLLOUT) : 0u), {.u64 = index}};
        epoll_ctl(epoll_, EPOLL_CTL_MOD, link.fd, &event);
    }
}

bool Loop::handle(size_t index) {
    Link& link = links_[index];
    bool open = mqtt::receive(link);
    size_t offset = 0;
    mqtt::Packet packet;
    while (mqtt::next_packet(link.in, offset, packet)) {
        switch (packet.type()) {
        case mqtt::CONNACK:
            if (packet.body.size() < 2 || packet.body[1] != 0) {
                std::fprintf(stderr, "sarang-ingest: CONNECT of %s refused (code %d)\n",
                             link.topic.c_str(), packet.body.size() < 2 ? -1 : packet.body[1]);
                return false;
            }
            if (link.role == Role::watcher)
                link.out += mqtt::subscribe_packet("hydro/" + s_.probe.id + "/reading", 1, 1);
            else
                link.ready = true;
            break;
        case mqtt::SUBACK:
            if (packet.body.size() < 3 || static_cast<unsigned char>(packet.body[2]) > 2) {
                std::fprintf(stderr, "sarang-ingest: SUBSCRIBE refused\n");
                return false;
            }
            link.ready = true;
            break;
        case mqtt::PUBACK:
            --link.in_flight;
            ++link.acked;
            ++result_.acked;
            if (link.role == Role::probe)
                ++result_.probe_acked;
            break;
        case mqtt::PUBLISH & 0xf0: {
            mqtt::Publish message = mqtt::parse_publish(packet);
            double sent = 0;
            if (number_field(message.payload, "sent_ns", sent))
                result_.latency_ms.push_back((static_cast<double>(now_ns()) - sent) / 1e6);
            if (message.packet_id != 0)
                mqtt::append_puback(link.out, message.packet_id);
            break;
        }
        default:
            break;
        }
    }
    link.in.erase(0, offset);
    if (!open) {
        std::fprintf(stderr, "sarang-ingest: the broker closed %s's connection\n",
                     link.topic.c_str());
        return false;
    }
    arm(index);
    return true;
}

bool Loop::pump(int timeout_ms) {
    epoll_event events[256];
    int ready = epoll_wait(epoll_, events, 256, timeout_ms);
    for (int i = 0; i < ready; ++i) {
        size_t index = events[i].data.u64;
        if ((events[i].events & EPOLLOUT) != 0)
            arm(index);
        if (!handle(index))
            return false;
    }
    return true;
}

// Tops the publishers up: to their window, or as far as the token bucket allows, one message
// per connection and turn. Each connection's new messages go out in one send().
void Loop::fill(Clock::time_point now) {
    if (!publishing_)
        return;
    if (s_.rate > 0) {
        double elapsed = std::chrono::duration<double>(now - refilled_).count();
        tokens_ = std::min(tokens_ + elapsed * s_.rate, std::max(1.0, s_.rate * 0.02));
        refilled_ = now;
    }
    touched_.assign(publishers_, 0);
    bool progress = true;
    while (progress && publishing_) {
        progress = false;
        for (size_t n = 0; n < publishers_; ++n) {
            if (s_.messages != 0 && published_ >= s_.messages) {
                publishing_ = false;
                break;
            }
            if (s_.rate > 0 && tokens_ < 1)
                break;
            size_t index = next_turn_;
            next_turn_ = (next_turn_ + 1) % publishers_;
            Link& link = links_[index];
            if (link.in_flight >= s_.window)
                continue;
            publish(link);
            ++published_;
            tokens_ -= 1;
            touched_[index] = 1;
            progress = true;
        }
    }
    for (size_t index = 0; index < publishers_; ++index) {
        if (touched_[index])
            arm(index);
    }
}

std::uint64_t Loop::in_flight() const {
    std::uint64_t total = 0;
    for (const Link& link : links_)
        total += link.in_flight;
    return total;
}

LoadResult Loop::run() {
    result_.next_ts = s_.ts_start;
    if (!connect_all())
        return result_;
    result_.started = Clock::now();
    refilled_ = result_.started;
    auto deadline = result_.started + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(s_.seconds));
    auto next_probe = result_.started;
    auto last_ack = result_.started;
    publishing_ = true;
    Link* probe = s_.probe.id.empty() ? nullptr : &links_[publishers_];
    for (;;) {
        auto now = Clock::now();
        if (publishing_ && now >= deadline)
            publishing_ = false;
        if (probe != nullptr && publishing_ && now >= next_probe) {
            publish(*probe, ",\"sent_ns\":" + std::to_string(now_ns()));
            arm(publishers_);
            next_probe += std::chrono::milliseconds(10);
        }
        fill(now);
        std::uint64_t acked = result_.acked;
        if (!pump(s_.rate > 0 || probe != nullptr ? 1 : 50))
            return result_;
        if (result_.acked != acked)
            last_ack = Clock::now();
        if (!publishing_ && in_flight() == 0)
            break;
        if (!publishing_ && Clock::now() - std::max(last_ack, deadline) >
                                std::chrono::duration<double>(s_.ack_timeout)) {
            std::fprintf(stderr, "sarang-ingest: %llu PUBACKs missing after %.0f s\n",
                         static_cast<unsigned long long>(in_flight()), s_.ack_timeout);
            break;
        }
    }
    // Deliveries of the last probe messages still on their way.
    for (auto until = Clock::now() + std::chrono::milliseconds(200); Clock::now() < until;)
        pump(20);
    result_.seconds = std::chrono::duration<double>(last_ack - result_.started).count();
    result_.ok = in_flight() == 0;
    return result_;
}

} // namespace

LoadResult run_load(const LoadSettings& settings) {
    Loop loop(settings);
    return loop.run();
}

} // namespace sarang::bench
