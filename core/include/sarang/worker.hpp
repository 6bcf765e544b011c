#pragma once
// The hand-off between the single-threaded broker and the plugins' worker threads.
//
//   broker thread --try_push--> BoundedQueue --pop_batch--> Worker (PostgreSQL, fsync, argon2)
//   broker thread <--drain (MOSQ_EVT_TICK)-- Mailbox <--post-- Worker
//
// Rules:
// - BoundedQueue::try_push never blocks: a full queue is reported to the caller, who decides
//   (a telemetry MESSAGE callback disconnects the publisher so its QoS 1 message is resent).
// - Mailbox actions run on the broker thread only, inside Mailbox::drain(), in the order they
//   were posted. That is the one place plugin code calls broker APIs (publish, kick) for work
//   a worker finished.
// - Worker threads are started with INT/TERM/HUP/USR1/USR2 blocked, so the broker's signal
//   handlers keep receiving them, and are stopped and joined by ~Worker (plugin cleanup).
// - A Worker supervises its body: an exception that escapes it is logged, counted in the
//   worker's WorkerStatus and the body is started again after a backoff (docs/reliability.md,
//   "Database workers"). Only a body that returns, or a stop, ends the thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace sarang {

template <typename T> class BoundedQueue {
  public:
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

    // Any thread. False when full; the item is not taken.
    bool try_push(T&& item) {
        bool someone_waits = false;
        {
            std::lock_guard lock(mutex_);
            if (items_.size() >= capacity_)
                return false;
            someone_waits = waiting_ > 0;
            items_.push_back(std::move(item));
        }
        // Only a consumer that is waiting needs waking: notifying while the consumer is busy
        // writing would cost the broker thread a futex call per message.
        if (someone_waits)
            ready_.notify_one();
        return true;
    }

    // Consumer thread. Waits until an item arrives, the timeout passes or a stop is requested,
    // then takes up to max items in arrival order.
    std::vector<T> pop_batch(std::size_t max, std::stop_token stop,
                             std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        ++waiting_;
        ready_.wait_for(lock, stop, timeout, [this] { return !items_.empty(); });
        --waiting_;
        std::vector<T> batch;
        std::size_t count = std::min(max, items_.size());
        batch.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            batch.push_back(std::move(items_.front()));
            items_.pop_front();
        }
        return batch;
    }

    std::size_t depth() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }
    std::size_t capacity() const { return capacity_; }

  private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable_any ready_;
    std::deque<T> items_;
    unsigned waiting_ = 0; // consumers inside pop_batch, under mutex_
};

class Mailbox {
  public:
    using Action = std::function<void()>;

    // Any thread.
    void post(Action action);
    // Broker thread only. Runs every action posted so far, each in its own try/catch, outside
    // the lock. Returns how many ran.
    std::size_t drain();
    std::size_t depth() const;

  private:
    mutable std::mutex mutex_;
    std::vector<Action> actions_;
};

// Whether a worker thread keeps sharing the process's file descriptor table.
//
// `own` is for workers inside the broker. While any other thread shares the broker thread's fd
// table, the kernel takes and drops a reference on the file for every read, write and epoll
// call the broker makes on a client socket; with a table of its own per worker, the broker
// thread is again the table's only user and skips that. A worker with its own table starts with
// only stdin, stdout and stderr (it closes its copies of the broker's sockets, or they would
// stay open after the broker closed them) and must not hand a descriptor it opens to another
// thread: fine for workers that own their PostgreSQL connection.
enum class FileTable { shared, own };

// What a worker's supervisor and its DbLoop count; published by the DbLoop's heartbeat into
// PostgreSQL (worker_status, read by the sidecar's /metrics and /healthz).
struct WorkerStatus {
    std::string plugin; // e.g. "commands"
    std::string worker; // the thread name, e.g. "sarang-cmd-ack"
    std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
    std::atomic<std::uint64_t> restarts{0}; // bodies that ended by an exception and restarted
    std::atomic<std::uint64_t> poisoned{0}; // items (or rounds) dropped by a DbLoop

    void record_error(std::string error);
    std::string last_error() const;
    // When the body last restarted; nullopt if never.
    std::optional<std::chrono::system_clock::time_point> last_restart_at() const;

  private:
    mutable std::mutex mutex_;
    std::string last_error_;
    std::optional<std::chrono::system_clock::time_point> last_restart_at_;
    friend class Worker;
};

// The status of the supervised worker running on this thread; nullptr on other threads.
WorkerStatus* current_worker_status();

// This broker's node name for worker_status rows (plugin::load_config sets it).
void set_worker_node(std::string node);
std::string worker_node();

class Worker {
  public:
    using Body = std::function<void(std::stop_token)>;
    // name: at most 15 characters (the kernel's thread-name limit). plugin: the label its
    // status is published under ("" for workers outside the plugins).
    Worker(std::string name, Body body, FileTable files = FileTable::shared,
           std::string plugin = {});
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void stop() { thread_.request_stop(); }
    const WorkerStatus& status() const { return *status_; }

    // Restart backoff: from restart_initial, doubling to restart_max; reset after a body that
    // ran for restart_reset_after.
    static constexpr std::chrono::milliseconds restart_initial{100};
    static constexpr std::chrono::milliseconds restart_max{30000};
    static constexpr std::chrono::seconds restart_reset_after{60};

  private:
    std::unique_ptr<WorkerStatus> status_;
    std::jthread thread_;
};

// Sleeps for the duration unless a stop is requested first; false when stopped.
bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds duration);

// Exponential backoff for reconnect loops; each delay is drawn between half and all of the
// current ceiling so that many clients restarting together spread out.
class Backoff {
  public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
        : initial_(initial), max_(max), ceiling_(initial) {}
    std::chrono::milliseconds next();
    void reset() { ceiling_ = initial_; }

  private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds ceiling_;
    std::minstd_rand random_{std::random_device{}()};
};

} // namespace sarang
