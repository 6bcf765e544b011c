#include "commands/outbox.hpp"

#include "http_error.hpp"
#include "sarang/commands.hpp"
#include "time_text.hpp"

namespace sarang::http {
namespace {

json::Ptr text_or_null(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    std::string_view value = rows.text(row, column);
    return json::own(json_stringn(value.data(), value.size()));
}

json::Ptr json_or_null(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    std::string error;
    json::Ptr value = json::parse(rows.text(row, column), error);
    return value ? std::move(value) : json::own(json_null());
}

} // namespace

std::string command_columns() {
    return "id, device_id, subtopic, payload::text, correlation, state, attempts, " +
           iso8601_micro_sql("created_at") + ", " + iso8601_micro_sql("expires_at") + ", " +
           iso8601_micro_sql("sent_at") + ", " + iso8601_micro_sql("acked_at") + ", " +
           iso8601_micro_sql("finished_at") + ", sent_node, result::text, error, created_by";
}

json::Ptr command_json(const pg::Result& rows, int row) {
    json::Ptr command = json::own(json_object());
    const char* text_fields[] = {"id", "device_id", "subtopic"};
    for (int column = 0; column < 3; ++column)
        json::set(command.get(), text_fields[column], text_or_null(rows, row, column));
    json::set(command.get(), "payload", json_or_null(rows, row, 3));
    json::set(command.get(), "correlation", text_or_null(rows, row, 4));
    json::set(command.get(), "state", text_or_null(rows, row, 5));
    json::set(command.get(), "attempts", json::own(json_integer(rows.integer(row, 6))));
    const char* time_fields[] = {"created_at", "expires_at", "sent_at", "acked_at", "finished_at"};
    for (int i = 0; i < 5; ++i)
        json::set(command.get(), time_fields[i], text_or_null(rows, row, 7 + i));
    json::set(command.get(), "sent_node", text_or_null(rows, row, 12));
    json::set(command.get(), "result", json_or_null(rows, row, 13));
    json::set(command.get(), "error", text_or_null(rows, row, 14));
    json::set(command.get(), "created_by",
              rows.is_null(row, 15) ? json::own(json_null())
                                    : json::own(json_integer(rows.integer(row, 15))));
    return command;
}

json::Ptr enqueue_command(pg::Transaction& transaction, const NewCommand& command) {
    if (std::optional<commands::Problem> problem = commands::check_command(
            command.kind, command.subtopic, command.payload, command.timeout_s))
        fail_validation(problem->field, problem->message);
    const CommandTopic* topic = command.kind->command_topic(command.subtopic);
    std::optional<std::string> correlation =
        commands::correlation_value(command.payload, topic->correlation_field);
    std::optional<std::string> created_by;
    if (command.created_by)
        created_by = std::to_string(*command.created_by);
    pg::Result rows = transaction.exec(
        std::string(
            "INSERT INTO commands (device_id, subtopic, payload, correlation, expires_at,"
            " created_by) VALUES ($1, $2, $3::jsonb, $4,"
            " now() + make_interval(secs => $5::double precision), $6::bigint) RETURNING ") +
            command_columns(),
        {command.device_id, command.subtopic, json::dump(command.payload), correlation,
         std::to_string(command.timeout_s), created_by});
    return command_json(rows, 0);
}

json::Ptr enqueue_command(DbPool& pool, const NewCommand& command) {
    DbPool::Lease db = pool.acquire();
    pg::Transaction transaction(*db);
    json::Ptr queued = enqueue_command(transaction, command);
    transaction.commit();
    return queued;
}

} // namespace sarang::http
