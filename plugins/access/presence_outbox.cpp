#include "presence_outbox.hpp"

#include "sarang/worker.hpp"

namespace sarang::access {

namespace {

// `newer` replaces `older` as a device's latest change, keeping the newest connect time.
void supersede(PresenceChange& older, PresenceChange&& newer) {
    if (newer.online)
        newer.connected_at = newer.at;
    else if (!newer.connected_at ||
             (older.connected_at && *older.connected_at > *newer.connected_at))
        newer.connected_at = older.connected_at;
    older = std::move(newer);
}

} // namespace

void PresenceOutbox::record(PresenceChange change) {
    bool was_empty = false;
    {
        std::lock_guard lock(mutex_);
        was_empty = pending_.empty();
        pending_.history.push_back(change);
        supersede(pending_.latest[change.device_id], std::move(change));
        trim();
    }
    // Only the first change of a batch wakes the writer. Waking it for every change of a
    // connect storm cost the broker thread a futex call each, and the woken writer then held the
    // mutex the broker thread needed next (seen in a profile as lock waits on the broker).
    if (was_empty)
        ready_.notify_one();
}

PresenceOutbox::Batch PresenceOutbox::take(std::stop_token stop, std::chrono::milliseconds timeout,
                                           std::chrono::milliseconds linger) {
    {
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, stop, timeout, [this] { return !pending_.empty(); });
        if (pending_.empty())
            return {};
    }
    // Linger without the lock and without listening for notifications: records meanwhile only
    // take the mutex for an append.
    if (linger.count() > 0)
        sleep_unless_stopped(stop, linger);
    std::lock_guard lock(mutex_);
    Batch out;
    std::swap(out, pending_);
    return out;
}

void PresenceOutbox::give_back(Batch batch) {
    std::lock_guard lock(mutex_);
    for (auto& [device, change] : batch.latest) {
        auto [entry, inserted] = pending_.latest.try_emplace(device, change);
        if (!inserted) { // the newer entry stays, with the given-back connect if it has none
            PresenceChange newer = std::move(entry->second);
            entry->second = std::move(change);
            supersede(entry->second, std::move(newer));
        }
    }
    batch.history.insert(batch.history.end(), std::make_move_iterator(pending_.history.begin()),
                         std::make_move_iterator(pending_.history.end()));
    pending_.history = std::move(batch.history);
    trim();
}

std::uint64_t PresenceOutbox::history_dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

void PresenceOutbox::trim() {
    if (pending_.history.size() <= capacity_)
        return;
    std::size_t excess = pending_.history.size() - capacity_;
    for (std::size_t i = 0; i < excess; ++i)
        pending_.history.pop_front();
    dropped_ += excess;
}

} // namespace sarang::access
