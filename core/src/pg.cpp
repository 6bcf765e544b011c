#include "sarang/pg.hpp"

#include "sarang/log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <libpq-fe.h>
#include <memory>
#include <poll.h>

namespace sarang::pg {

ErrorKind classify(std::string_view sqlstate) {
    // Conflicts, and conditions of the server that pass: insufficient resources (53: disk full,
    // out of memory, too many connections), cancelled or timed-out statements, lock timeouts,
    // a server that became read-only in a failover.
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate.starts_with("53") ||
        sqlstate == "57014" || sqlstate == "55P03" || sqlstate == "25006")
        return ErrorKind::retry;
    if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
        sqlstate == "57P03")
        return ErrorKind::reconnect;
    if (sqlstate.starts_with("22") || sqlstate.starts_with("23"))
        return ErrorKind::reject;
    return ErrorKind::bug;
}

std::vector<std::pair<std::string, std::string>> libpq_environment(const std::string& conninfo) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(
        PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
    if (!options) {
        // libpq's message may quote the string, password included: say only where it failed.
        PQfreemem(error);
        throw std::runtime_error("db.dsn is not a valid libpq connection string");
    }
    std::vector<std::pair<std::string, std::string>> environment;
    for (PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
        if (option->val == nullptr)
            continue;
        if (option->envvar == nullptr)
            throw std::runtime_error(std::string("db.dsn sets ") + option->keyword +
                                     ", which PostgreSQL's tools cannot take from the environment");
        environment.emplace_back(option->envvar, option->val);
    }
    return environment;
}

std::string array_literal(const std::vector<std::string>& items) {
    std::string literal = "{";
    for (const std::string& item : items) {
        if (literal.size() > 1)
            literal += ',';
        literal += '"';
        for (char c : item) {
            if (c == '"' || c == '\\')
                literal += '\\';
            literal += c;
        }
        literal += '"';
    }
    return literal + "}";
}

// ---- Result ----

Result::Result(pg_result* raw) : raw_(raw, PQclear) {}

int Result::rows() const {
    return raw_ ? PQntuples(raw_.get()) : 0;
}
int Result::columns() const {
    return raw_ ? PQnfields(raw_.get()) : 0;
}
bool Result::is_null(int row, int column) const {
    return PQgetisnull(raw_.get(), row, column);
}

std::string_view Result::text(int row, int column) const {
    return {PQgetvalue(raw_.get(), row, column),
            static_cast<size_t>(PQgetlength(raw_.get(), row, column))};
}

long long Result::integer(int row, int column) const {
    return std::strtoll(PQgetvalue(raw_.get(), row, column), nullptr, 10);
}

double Result::number(int row, int column) const {
    return std::strtod(PQgetvalue(raw_.get(), row, column), nullptr);
}

bool Result::boolean(int row, int column) const {
    return text(row, column) == "t";
}

long long Result::affected() const {
    const char* tuples = raw_ ? PQcmdTuples(raw_.get()) : "";
    return *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
}

// ---- Connection ----

Connection::Connection(std::string conninfo, std::string application_name)
    : conninfo_(std::move(conninfo)), application_name_(std::move(application_name)) {}

Connection::~Connection() {
    disconnect();
}

bool Connection::connected() const {
    return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::drop_if_closed_by_server() {
    if (conn_ == nullptr)
        return false;
    // An idle connection has nothing to read unless the server said goodbye (FATAL on shutdown
    // or restart) or sent a notification; a zero-timeout poll tells which without waiting.
    pollfd ready{PQsocket(conn_), POLLIN, 0};
    bool closed = PQstatus(conn_) != CONNECTION_OK;
    if (!closed && poll(&ready, 1, 0) > 0) {
        // The goodbye arrives as an error message before the end of the stream, so reading it
        // may still leave the status OK. Without LISTENs there is nothing else an idle
        // connection could be sent: treat any input as the end.
        closed =
            PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK || channels_.empty();
    }
    if (closed)
        disconnect();
    return closed;
}

void Connection::disconnect() {
    if (conn_ != nullptr)
        PQfinish(conn_);
    conn_ = nullptr;
    prepared_here_.clear();
}

void Connection::ensure_connected() {
    if (connected())
        return;
    disconnect();
    // TCP keepalives: a LISTEN connection that died silently (NAT timeout, failover) is noticed
    // in about a minute instead of libpq's default two hours, and the caller reconnects.
    const char* keys[] = {"dbname",
                          "application_name",
                          "keepalives",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          nullptr};
    const char* values[] = {
        conninfo_.c_str(), application_name_.c_str(), "1", "30", "10", "3", nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK)
        fail_connection("connect");
    ++generation_;
    // libpq prints NOTICEs to stderr by default; route them through the log instead.
    PQsetNoticeProcessor(
        conn_, [](void*, const char* message) { LOG_DEBUG("pg", "%s", message); }, nullptr);
    for (const std::string& channel : channels_) {
        char* quoted = PQescapeIdentifier(conn_, channel.data(), channel.size());
        std::string sql = std::string("LISTEN ") + (quoted ? quoted : "");
        PQfreemem(quoted);
        check(PQexec(conn_, sql.c_str()), "LISTEN");
    }
}

void Connection::fail_connection(std::string_view what) {
    std::string message = std::string(what) + ": " +
                          (conn_ ? PQerrorMessage(conn_) : "out of memory creating connection");
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    disconnect();
    throw Error(message, "08006", ErrorKind::reconnect);
}

Result Connection::check(pg_result* raw, std::string_view what) {
    Result result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
        return result;
    if (raw == nullptr || PQstatus(conn_) != CONNECTION_OK)
        fail_connection(what);
    const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    std::string sqlstate = state ? state : "XX000";
    std::string message = std::string(what) + ": " + PQresultErrorMessage(raw);
    while (!message.empty() && message.back() == '\n')
        message.pop_back();
    throw Error(message, sqlstate, classify(sqlstate));
}

namespace {
struct ParamArrays {
    std::vector<const char*> values;
    explicit ParamArrays(const Params& params) {
        values.reserve(params.size());
        for (const auto& param : params)
            values.push_back(param ? param->c_str() : nullptr);
    }
};
} // namespace

Result Connection::exec(std::string_view sql, const Params& params) {
    ensure_connected();
    std::string statement(sql);
    ParamArrays arrays(params);
    return check(PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), nullptr,
                              arrays.values.data(), nullptr, nullptr, 0),
                 "query");
}

void Connection::exec_script(std::string_view sql) {
    ensure_connected();
    std::string script(sql);
    // PQexec returns only the last result; an error stops the script there.
    check(PQexec(conn_, script.c_str()), "script");
}

long long Connection::copy_in(std::string_view copy_statement, std::string_view data,
                              const std::function<void()>& meanwhile) {
    ensure_connected();
    std::string statement(copy_statement);
    pg_result* started = PQexec(conn_, statement.c_str());
    if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN)
        check(started, "copy"); // throws: the COPY did not start
    PQclear(started);
    // libpq buffers and sends in pieces; with a blocking connection these calls only fail when
    // the connection does, which the final result reports.
    constexpr std::size_t piece = 1 << 20;
    bool sent = true;
    for (std::size_t at = 0; sent && at < data.size(); at += piece) {
        std::size_t size = std::min(piece, data.size() - at);
        sent = PQputCopyData(conn_, data.data() + at, static_cast<int>(size)) == 1;
    }
    // Blocking mode: this returns once the end marker is flushed to the server.
    PQputCopyEnd(conn_, sent ? nullptr : "sending COPY data failed");
    if (sent && meanwhile)
        meanwhile();
    pg_result* outcome = PQgetResult(conn_);
    // Drain to the end of this command so the connection is ready for the next one, also when
    // the outcome is an error.
    while (pg_result* extra = PQgetResult(conn_))
        PQclear(extra);
    return check(outcome, "copy").affected();
}

void Connection::prepare(const std::string& name, std::string sql) {
    statements_.insert_or_assign(name, std::move(sql));
    prepared_here_.erase(name);
}

Result Connection::exec_prepared(const std::string& name, const Params& params) {
    ensure_connected();
    if (!prepared_here_.contains(name)) {
        auto statement = statements_.find(name);
        if (statement == statements_.end())
            throw Error("unknown prepared statement " + name, "26000", ErrorKind::bug);
        check(PQprepare(conn_, name.c_str(), statement->second.c_str(), 0, nullptr),
              "prepare " + name);
        prepared_here_.insert(name);
    }
    ParamArrays arrays(params);
    return check(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                arrays.values.data(), nullptr, nullptr, 0),
                 name);
}

void Connection::listen(const std::string& channel) {
    channels_.insert(channel);
    if (connected()) {
        char* quoted = PQescapeIdentifier(conn_, channel.data(), channel.size());
        std::string sql = std::string("LISTEN ") + (quoted ? quoted : "");
        PQfreemem(quoted);
        check(PQexec(conn_, sql.c_str()), "LISTEN");
    }
    // Not connected: ensure_connected() issues it with the others on the next connect.
}

std::vector<Notification> Connection::drain_notifications() {
    std::vector<Notification> out;
    while (PGnotify* notify = PQnotifies(conn_)) {
        out.push_back({notify->relname, notify->extra ? notify->extra : ""});
        PQfreemem(notify);
    }
    return out;
}

std::vector<Notification> Connection::wait_notifications(std::chrono::milliseconds timeout) {
    ensure_connected();
    if (PQconsumeInput(conn_) == 0)
        fail_connection("receive notifications");
    std::vector<Notification> ready = drain_notifications();
    if (!ready.empty())
        return ready;
    pollfd descriptor{PQsocket(conn_), POLLIN, 0};
    int polled = ::poll(&descriptor, 1, static_cast<int>(timeout.count()));
    if (polled < 0 && errno != EINTR)
        fail_connection("poll");
    if (polled > 0 && PQconsumeInput(conn_) == 0)
        fail_connection("receive notifications");
    return drain_notifications();
}

// ---- Transaction ----

Transaction::Transaction(Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN");
}

Transaction::~Transaction() {
    if (!open_)
        return;
    try {
        if (connection_.connected())
            connection_.exec("ROLLBACK");
    } catch (const Error& error) {
        // A failed rollback leaves the session unusable; start over with a new one.
        LOG_WARN("pg", "rollback failed, dropping connection: %s", error.what());
        connection_.disconnect();
    }
}

void Transaction::commit() {
    open_ = false;
    connection_.exec("COMMIT");
}

} // namespace sarang::pg
