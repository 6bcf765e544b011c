#include "slow_pool.hpp"

#include "sarang/log.hpp"

#include <sys/resource.h>
#include <unistd.h>

namespace sarang::http {

SlowPool::SlowPool(unsigned threads, std::size_t queue_capacity) : queue_(queue_capacity) {
    for (unsigned i = 0; i < threads; ++i)
        workers_.push_back(
            std::make_unique<Worker>("httpd-slow", [this](std::stop_token stop) { run(stop); }));
}

SlowPool::~SlowPool() {
    close();
}

void SlowPool::close() {
    {
        std::lock_guard lock(submit_mutex_);
        closed_ = true;
    }
    for (auto& worker : workers_)
        worker->stop();
    workers_.clear(); // joins; each worker empties the queue before it returns
}

bool SlowPool::try_submit(Job job) {
    std::lock_guard lock(submit_mutex_);
    if (!closed_ && queue_.try_push(std::move(job)))
        return true;
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

void SlowPool::run(std::stop_token stop) {
    // Linux applies a nice value per thread: lower this one only.
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 5) != 0)
        LOG_DEBUG("httpd", "could not lower the slow worker's priority");
    for (;;) {
        std::vector<Job> jobs = queue_.pop_batch(1, stop, std::chrono::milliseconds(500));
        if (jobs.empty()) {
            if (stop.stop_requested())
                return;
            continue;
        }
        busy_.fetch_add(1, std::memory_order_relaxed);
        try {
            jobs.front()();
        } catch (const std::exception& error) {
            LOG_ERROR("httpd", "slow job failed: %s", error.what());
        } catch (...) {
            LOG_ERROR("httpd", "slow job failed with an unknown exception");
        }
        busy_.fetch_sub(1, std::memory_order_relaxed);
    }
}

} // namespace sarang::http
