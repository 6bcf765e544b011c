#pragma once
// libpq behind RAII. libpq-fe.h is included only by pg.cpp.
//
// Threading: a Connection and every Result and Transaction made from it belong to one thread at
// a time (libpq's rule). Results are immutable and may be shared once made.
//
// Errors: every failure throws pg::Error, classified once from its SQLSTATE into what the caller
// should do about it (see ErrorKind). A broken connection is detected on the failing call; the
// next call reconnects, re-prepares statements and re-issues LISTENs.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pg_conn;
struct pg_result;

namespace sarang::pg {

// Text-format parameters; nullopt is SQL NULL.
using Params = std::vector<std::optional<std::string>>;

enum class ErrorKind {
    retry,     // conflict or a passing server condition (disk full, timeout): try again later
    reconnect, // connection lost or server going away: reconnect, then retry
    reject,    // the data broke a constraint or a type (class 22, 23): do not retry
    bug,       // anything else, e.g. a syntax error (42xxx): log loudly
};

ErrorKind classify(std::string_view sqlstate);

// A text[] literal ({"a","b"}) with quotes and backslashes escaped, for passing many values as
// one parameter: WHERE id = ANY($1::text[]), or unnest($1::text[], ...) for batch inserts.
std::string array_literal(const std::vector<std::string>& items);

// The PG* environment variables (PGHOST, PGPASSWORD, ...) that say what `conninfo` says, for
// PostgreSQL's own programs (pg_dump, pg_restore) run as children: a password in their argv
// would show in ps. Throws std::runtime_error when conninfo does not parse or sets something
// that has no environment variable.
std::vector<std::pair<std::string, std::string>> libpq_environment(const std::string& conninfo);

class Error : public std::runtime_error {
  public:
    Error(const std::string& message, std::string sqlstate, ErrorKind kind)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)), kind_(kind) {}
    const std::string& sqlstate() const { return sqlstate_; }
    ErrorKind kind() const { return kind_; }

  private:
    std::string sqlstate_;
    ErrorKind kind_;
};

class Result {
  public:
    Result() = default;
    int rows() const;
    int columns() const;
    bool is_null(int row, int column) const;
    // Text value; empty for NULL.
    std::string_view text(int row, int column) const;
    long long integer(int row, int column) const;
    double number(int row, int column) const;
    bool boolean(int row, int column) const;
    // Rows touched by INSERT/UPDATE/DELETE.
    long long affected() const;

  private:
    friend class Connection;
    explicit Result(pg_result* raw);
    std::shared_ptr<pg_result> raw_;
};

struct Notification {
    std::string channel;
    std::string payload;
};

class Connection {
  public:
    // conninfo is a libpq connection string or URI; nothing is opened until first use.
    Connection(std::string conninfo, std::string application_name);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Opens the connection when there is none. Throws Error (reconnect) on failure.
    void ensure_connected();
    bool connected() const;
    // Increases by one with every new physical connection: a LISTENer that sees it change
    // may have missed notifications and must reload what it caches.
    std::uint64_t generation() const { return generation_; }

    Result exec(std::string_view sql, const Params& params = {});
    // Several statements in one string (migrations); no parameters.
    void exec_script(std::string_view sql);
    // COPY ... FROM STDIN with `data` as the whole input, in one round trip for the server.
    // Returns the number of rows copied. `meanwhile`, when given, runs once all data is sent,
    // while the server is still inserting it: other work of the caller's overlaps the COPY. It
    // must not use this connection and must not throw.
    long long copy_in(std::string_view copy_statement, std::string_view data,
                      const std::function<void()>& meanwhile = {});

    // Remembers a statement; it is prepared on first use on each physical connection.
    void prepare(const std::string& name, std::string sql);
    Result exec_prepared(const std::string& name, const Params& params);

    // Remembered and re-issued after every reconnect; never connects by itself.
    void listen(const std::string& channel);
    // Waits up to timeout for notifications; returns what arrived (possibly nothing).
    std::vector<Notification> wait_notifications(std::chrono::milliseconds timeout);

    // Drops the connection; the next call reconnects.
    void disconnect();
    // For pools, before lending an idle connection out: drops it (true) when the server has
    // closed it meanwhile, e.g. after a PostgreSQL restart, so its next user reconnects instead
    // of failing once. Never blocks. Meant for connections without LISTENs.
    bool drop_if_closed_by_server();

  private:
    Result check(pg_result* raw, std::string_view what);
    [[noreturn]] void fail_connection(std::string_view what);
    std::vector<Notification> drain_notifications();

    std::string conninfo_;
    std::string application_name_;
    pg_conn* conn_ = nullptr;
    std::uint64_t generation_ = 0;
    std::map<std::string, std::string> statements_;
    std::set<std::string> prepared_here_;
    std::set<std::string> channels_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
  public:
    explicit Transaction(Connection& connection);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    Result exec(std::string_view sql, const Params& params = {}) {
        return connection_.exec(sql, params);
    }
    Result exec_prepared(const std::string& name, const Params& params) {
        return connection_.exec_prepared(name, params);
    }
    long long copy_in(std::string_view copy_statement, std::string_view data,
                      const std::function<void()>& meanwhile = {}) {
        return connection_.copy_in(copy_statement, data, meanwhile);
    }
    void commit();

  private:
    Connection& connection_;
    bool open_ = true;
};

} // namespace sarang::pg
