#pragma once
// Threads for slow request work (argon2id, image work), behind a bounded queue. When the queue
// is full a request is turned away at once (503 with Retry-After) instead of piling up: a login
// storm costs the attacker, not the rest of the API. The threads run at a lower CPU priority
// than the HTTP polling threads so quick routes (/healthz, reads) keep answering under load.
#include "sarang/worker.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace sarang::http {

class SlowPool {
  public:
    using Job = std::function<void()>;
    SlowPool(unsigned threads, std::size_t queue_capacity);
    ~SlowPool(); // close()

    // Any thread. False when the queue is full or the pool is closed; the job is not taken.
    // A job must not throw (the pool logs and drops what it throws).
    bool try_submit(Job job);

    // Refuses new jobs, runs every queued one, joins the threads. Idempotent.
    void close();

    std::size_t queued() const { return queue_.depth(); }
    unsigned busy() const { return busy_.load(std::memory_order_relaxed); }
    unsigned long long rejected() const { return rejected_.load(std::memory_order_relaxed); }

  private:
    void run(std::stop_token stop);

    std::mutex submit_mutex_; // a submit and close() never interleave: no job is left behind
    bool closed_ = false;
    BoundedQueue<Job> queue_;
    std::atomic<unsigned> busy_{0};
    std::atomic<unsigned long long> rejected_{0};
    std::vector<std::unique_ptr<Worker>> workers_;
};

} // namespace sarang::http
