#include "stream_hub.hpp"

#include "sarang/device_kinds.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"
#include "sse.hpp"

#include <algorithm>
#include <condition_variable>
#include <set>

namespace sarang::http {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* channel = "sarang_device_activity";
// Ids per snapshot query: keeps one query's text[] parameter and result modest when a whole
// fleet reports at once.
constexpr std::size_t ids_per_query = 500;

// Payloads are comma-separated device ids; anything else on the channel is ignored.
void collect_ids(const std::string& payload, std::set<std::string>& into) {
    std::size_t start = 0;
    while (start <= payload.size()) {
        std::size_t end = payload.find(',', start);
        if (end == std::string::npos)
            end = payload.size();
        std::string id = payload.substr(start, end - start);
        if (valid_device_id(id))
            into.insert(std::move(id));
        start = end + 1;
    }
}

std::chrono::milliseconds until(Clock::time_point when, Clock::time_point now) {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(when - now));
}

// A pause after a database failure that ends early when the hub stops.
void pause(std::stop_token stop, std::chrono::milliseconds length) {
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    never.wait_for(lock, stop, length, [] { return false; });
}

} // namespace

bool may_see(const StreamViewer& viewer, const DeviceState& device) {
    return viewer.admin || (device.owner_id && *device.owner_id == viewer.user_id);
}

std::string device_list_json(const std::vector<DeviceState>& states, const StreamViewer& viewer) {
    std::string out = R"({"devices":[)";
    bool first = true;
    for (const DeviceState& state : states) {
        if (!may_see(viewer, state))
            continue;
        if (!first)
            out += ',';
        out += state.json;
        first = false;
    }
    out += "]}";
    return out;
}

StreamHub::StreamHub(std::string dsn, StreamLimits limits)
    : dsn_(std::move(dsn)), limits_(limits) {}

StreamHub::~StreamHub() {
    if (thread_.joinable()) {
        thread_.request_stop();
        thread_.join();
    }
    close_all();
}

void StreamHub::start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

StreamHub::Subscription StreamHub::subscribe(const StreamViewer& viewer) {
    std::lock_guard lock(mutex_);
    Subscription result;
    if (closing_)
        result.refused = Refusal::stopping;
    else if (open_ >= limits_.max_streams)
        result.refused = Refusal::server_limit;
    else if (per_user_[viewer.user_id] >= limits_.max_streams_per_user)
        result.refused = Refusal::user_limit;
    if (result.refused != Refusal::none) {
        if (per_user_[viewer.user_id] == 0)
            per_user_.erase(viewer.user_id);
        refused_.fetch_add(1);
        return result;
    }
    result.body = std::make_shared<StreamBody>(limits_.max_pending_bytes);
    long long user = viewer.user_id;
    result.body->on_finished([this, user] { released(user); });
    entries_.push_back({viewer, result.body});
    ++open_;
    ++per_user_[user];
    return result;
}

void StreamHub::released(long long user_id) {
    std::lock_guard lock(mutex_);
    --open_;
    if (auto count = per_user_.find(user_id); count != per_user_.end() && --count->second == 0)
        per_user_.erase(count);
}

void StreamHub::close_all() {
    std::vector<Entry> entries;
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
        entries = entries_;
    }
    for (Entry& entry : entries)
        entry.body->close();
}

std::size_t StreamHub::open_streams() const {
    std::lock_guard lock(mutex_);
    return open_;
}

// A copy, so that no body's lock (and libmicrohttpd's resume) is ever taken under the hub's.
std::vector<StreamHub::Entry> StreamHub::live_entries() {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [](const Entry& entry) { return entry.body->finished(); });
    return entries_;
}

void StreamHub::deliver(Entry& entry, const std::string& chunk) {
    switch (entry.body->push(chunk)) {
    case StreamBody::Push::queued:
        break;
    case StreamBody::Push::overflowed:
        dropped_.fetch_add(1);
        LOG_WARN("stream", "user %lld: stream fell %zu bytes behind; disconnected",
                 entry.viewer.user_id, limits_.max_pending_bytes);
        break;
    case StreamBody::Push::over:
        break;
    }
}

void StreamHub::send_device_events(pg::Connection& db, const std::vector<std::string>& ids) {
    std::vector<Entry> entries = live_entries();
    if (entries.empty())
        return;
    for (std::size_t at = 0; at < ids.size(); at += ids_per_query) {
        std::vector<std::string> part(
            ids.begin() + static_cast<long>(at),
            ids.begin() + static_cast<long>(std::min(ids.size(), at + ids_per_query)));
        for (const DeviceState& state : load_device_states(db, part, std::nullopt)) {
            std::string chunk = sse::event("device", state.json);
            for (Entry& entry : entries) {
                if (may_see(entry.viewer, state)) {
                    deliver(entry, chunk);
                    events_.fetch_add(1);
                }
            }
        }
    }
}

void StreamHub::send_resync(pg::Connection& db) {
    std::vector<Entry> entries = live_entries();
    if (entries.empty())
        return;
    std::optional<std::vector<long long>> owners;
    if (std::none_of(entries.begin(), entries.end(),
                     [](const Entry& entry) { return entry.viewer.admin; })) {
        std::set<long long> users;
        for (const Entry& entry : entries)
            users.insert(entry.viewer.user_id);
        owners.emplace(users.begin(), users.end());
    }
    std::vector<DeviceState> states = load_device_states(db, std::nullopt, owners);
    for (Entry& entry : entries)
        deliver(entry, sse::event("resync", device_list_json(states, entry.viewer)));
    resyncs_.fetch_add(1);
    LOG_INFO("stream", "database connection re-made; %zu streams resynchronised", entries.size());
}

void StreamHub::heartbeat(pg::Connection& db) {
    std::vector<Entry> entries = live_entries();
    if (entries.empty())
        return;
    // A stream outlives no session: logout, revocation and expiry end it within one beat.
    std::set<long long> sessions;
    for (const Entry& entry : entries)
        sessions.insert(entry.viewer.session_row);
    std::vector<std::string> rows;
    for (long long session : sessions)
        rows.push_back(std::to_string(session));
    pg::Result alive = db.exec("SELECT id FROM sessions WHERE id = ANY($1::bigint[])"
                               " AND revoked_at IS NULL AND expires_at > now()",
                               {pg::array_literal(rows)});
    std::set<long long> live;
    for (int row = 0; row < alive.rows(); ++row)
        live.insert(alive.integer(row, 0));
    std::string ping = sse::comment("ping");
    std::string ended = sse::event("end", R"({"reason":"session_ended"})");
    for (Entry& entry : entries) {
        if (live.contains(entry.viewer.session_row)) {
            deliver(entry, ping);
        } else {
            deliver(entry, ended);
            entry.body->close();
        }
    }
}

void StreamHub::run(std::stop_token stop) {
    pg::Connection db(dsn_, "sarang-httpd-stream");
    db.listen(channel);
    std::uint64_t generation = 0;
    std::set<std::string> pending;
    Clock::time_point flush_at;
    Clock::time_point next_beat = Clock::now() + limits_.heartbeat;
    while (!stop.stop_requested()) {
        try {
            db.ensure_connected();
            if (db.generation() != generation) {
                // Whatever was pending is covered by the resync, which reads everything.
                pending.clear();
                generation = db.generation();
                send_resync(db);
            }
            Clock::time_point now = Clock::now();
            std::chrono::milliseconds wait =
                std::min({std::chrono::milliseconds(250), until(next_beat, now),
                          pending.empty() ? std::chrono::milliseconds(250) : until(flush_at, now)});
            for (const pg::Notification& note : db.wait_notifications(wait)) {
                if (pending.empty())
                    flush_at = Clock::now() + limits_.coalesce;
                collect_ids(note.payload, pending);
            }
            now = Clock::now();
            if (!pending.empty() && now >= flush_at) {
                std::vector<std::string> ids(pending.begin(), pending.end());
                pending.clear();
                send_device_events(db, ids);
            }
            if (now >= next_beat) {
                next_beat = now + limits_.heartbeat;
                heartbeat(db);
            }
        } catch (const pg::Error& error) {
            LOG_WARN("stream", "%s; retrying in 1 s", error.what());
            if (error.kind() == pg::ErrorKind::reconnect)
                db.disconnect();
            pause(stop, std::chrono::seconds(1));
        } catch (const std::exception& error) {
            LOG_ERROR("stream", "%s; retrying in 1 s", error.what());
            pause(stop, std::chrono::seconds(1));
        }
    }
}

} // namespace sarang::http
