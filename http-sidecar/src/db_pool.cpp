#include "db_pool.hpp"

#include "sarang/log.hpp"

namespace sarang::http {

DbPool::DbPool(const std::string& dsn, std::size_t size) : size_(size) {
    for (std::size_t i = 0; i < size; ++i)
        idle_.push_back(std::make_unique<pg::Connection>(dsn, "sarang-httpd"));
}

DbPool::Lease::~Lease() {
    if (connection_)
        pool_->give_back(std::move(connection_));
}

DbPool::Lease DbPool::acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!returned_.wait_for(lock, timeout, [this] { return !idle_.empty(); }))
        throw PoolExhausted("no database connection free");
    std::unique_ptr<pg::Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (connection->drop_if_closed_by_server())
        LOG_INFO("httpd", "a pooled database connection was closed by the server; reconnecting");
    return Lease(*this, std::move(connection));
}

std::size_t DbPool::idle_count() const {
    std::lock_guard lock(mutex_);
    return idle_.size();
}

void DbPool::give_back(std::unique_ptr<pg::Connection> connection) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(connection));
    }
    returned_.notify_one();
}

} // namespace sarang::http
