#pragma once
// A fixed set of PostgreSQL connections shared by the HTTP threads. A lease returns its
// connection on destruction; a connection that broke is reconnected by its next user.
#include "sarang/pg.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace sarang::http {

struct PoolExhausted : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class DbPool {
  public:
    DbPool(const std::string& dsn, std::size_t size);

    class Lease {
      public:
        Lease(DbPool& pool, std::unique_ptr<pg::Connection> connection)
            : pool_(&pool), connection_(std::move(connection)) {}
        Lease(Lease&&) = default;
        ~Lease();
        pg::Connection& operator*() { return *connection_; }
        pg::Connection* operator->() { return connection_.get(); }

      private:
        DbPool* pool_;
        std::unique_ptr<pg::Connection> connection_;
    };

    // Throws PoolExhausted when no connection frees up within the timeout.
    Lease acquire(std::chrono::milliseconds timeout = std::chrono::seconds(2));

    std::size_t size() const { return size_; }
    std::size_t idle_count() const;

  private:
    void give_back(std::unique_ptr<pg::Connection> connection);

    std::size_t size_;
    mutable std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<pg::Connection>> idle_;
};

} // namespace sarang::http
