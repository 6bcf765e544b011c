#include "sarang/worker.hpp"

#include <cerrno>
#include <cstring>
#include <sched.h>
#include <unistd.h>

#include "sarang/log.hpp"

#include <csignal>
#include <pthread.h>

namespace sarang {

void Mailbox::post(Action action) {
    std::lock_guard lock(mutex_);
    actions_.push_back(std::move(action));
}

std::size_t Mailbox::drain() {
    std::vector<Action> ready;
    {
        std::lock_guard lock(mutex_);
        ready.swap(actions_);
    }
    for (Action& action : ready) {
        try {
            action();
        } catch (const std::exception& error) {
            LOG_ERROR("mailbox", "action failed: %s", error.what());
        } catch (...) {
            LOG_ERROR("mailbox", "action failed with an unknown exception");
        }
    }
    return ready.size();
}

std::size_t Mailbox::depth() const {
    std::lock_guard lock(mutex_);
    return actions_.size();
}

namespace {
// New threads inherit the creating thread's signal mask: block, create, restore.
class SignalsBlocked {
  public:
    SignalsBlocked() {
        sigset_t blocked;
        sigemptyset(&blocked);
        for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2})
            sigaddset(&blocked, signal);
        pthread_sigmask(SIG_BLOCK, &blocked, &previous_);
    }
    ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

  private:
    sigset_t previous_;
};
} // namespace

namespace {

thread_local WorkerStatus* current_status = nullptr;

std::mutex node_mutex;
std::string node_name;

std::string text_of(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& failure) {
        return failure.what();
    } catch (...) {
        return "unknown exception";
    }
}

// Runs the body until it returns or a stop is requested; an exception that escapes it is
// counted and the body starts again after a backoff, so one unexpected error cannot end a
// worker (and, say, command settlement on a node) for the rest of the broker's life.
void supervise(const std::string& name, WorkerStatus& status, const Worker::Body& body,
               std::stop_token stop) {
    Backoff backoff(Worker::restart_initial, Worker::restart_max);
    // The body runs at least once, even when the stop came first (it may have work to finish,
    // as the telemetry writer does); only restarts wait for a stop.
    for (;;) {
        auto started = std::chrono::steady_clock::now();
        std::exception_ptr error;
        try {
            body(stop);
            return;
        } catch (...) {
            error = std::current_exception();
        }
        std::string what = text_of(error);
        if (stop.stop_requested()) {
            LOG_ERROR(name.c_str(), "worker ended by exception while stopping: %s", what.c_str());
            return;
        }
        if (std::chrono::steady_clock::now() - started >= Worker::restart_reset_after)
            backoff.reset();
        std::chrono::milliseconds pause = backoff.next();
        std::uint64_t restarts = ++status.restarts;
        status.record_error(what);
        LOG_ERROR(name.c_str(), "worker ended by exception: %s; restart %llu in %lld ms",
                  what.c_str(), static_cast<unsigned long long>(restarts),
                  static_cast<long long>(pause.count()));
        if (!sleep_unless_stopped(stop, pause))
            return;
    }
}

} // namespace

void WorkerStatus::record_error(std::string error) {
    std::lock_guard lock(mutex_);
    last_error_ = std::move(error);
    last_restart_at_ = std::chrono::system_clock::now();
}

std::string WorkerStatus::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

std::optional<std::chrono::system_clock::time_point> WorkerStatus::last_restart_at() const {
    std::lock_guard lock(mutex_);
    return last_restart_at_;
}

WorkerStatus* current_worker_status() {
    return current_status;
}

void set_worker_node(std::string node) {
    std::lock_guard lock(node_mutex);
    node_name = std::move(node);
}

std::string worker_node() {
    std::lock_guard lock(node_mutex);
    return node_name;
}

Worker::Worker(std::string name, Body body, FileTable files, std::string plugin)
    : status_(std::make_unique<WorkerStatus>()) {
    status_->plugin = std::move(plugin);
    status_->worker = name.substr(0, 15);
    SignalsBlocked blocked;
    thread_ = std::jthread([name = std::move(name), body = std::move(body), files,
                            status = status_.get()](std::stop_token stop) {
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        if (files == FileTable::own) {
            if (unshare(CLONE_FILES) == 0)
                close_range(3, ~0U, 0);
            else
                LOG_WARN(name.c_str(), "unshare(CLONE_FILES) failed: %s; sharing the fd table",
                         std::strerror(errno));
        }
        current_status = status;
        supervise(name, *status, body, stop);
        current_status = nullptr;
    });
}

Worker::~Worker() {
    thread_.request_stop();
    if (thread_.joinable())
        thread_.join();
}

bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds duration) {
    std::mutex mutex;
    std::condition_variable_any never_notified;
    std::unique_lock lock(mutex);
    never_notified.wait_for(lock, stop, duration, [] { return false; });
    return !stop.stop_requested();
}

std::chrono::milliseconds Backoff::next() {
    std::uniform_int_distribution<long> pick(ceiling_.count() / 2, ceiling_.count());
    std::chrono::milliseconds delay{pick(random_)};
    ceiling_ = std::min(max_, ceiling_ * 2);
    return delay;
}

} // namespace sarang
