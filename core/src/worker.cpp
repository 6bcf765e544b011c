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

Worker::Worker(std::string name, Body body, FileTable files) {
    SignalsBlocked blocked;
    thread_ = std::jthread([name = std::move(name), body = std::move(body),
                            files](std::stop_token stop) {
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        if (files == FileTable::own) {
            if (unshare(CLONE_FILES) == 0)
                close_range(3, ~0U, 0);
            else
                LOG_WARN(name.c_str(), "unshare(CLONE_FILES) failed: %s; sharing the fd table",
                         std::strerror(errno));
        }
        try {
            body(stop);
        } catch (const std::exception& error) {
            LOG_ERROR(name.c_str(), "worker ended by exception: %s", error.what());
        } catch (...) {
            LOG_ERROR(name.c_str(), "worker ended by unknown exception");
        }
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
