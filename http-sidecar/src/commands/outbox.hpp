#pragma once
// Queueing commands for devices (docs/commands.md). Handlers that reach a device (the raw
// commands endpoint now; vending, parcel and lock handlers later) call enqueue_command inside
// their own transaction: the row and its NOTIFY (sent at commit) stand or fall with the rest of
// what the handler writes. The broker's commands plugin does the publishing.
#include "db_pool.hpp"
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <optional>
#include <string>

namespace sarang::http {

struct NewCommand {
    std::string device_id;
    const KindSpec* kind = nullptr;  // the device's kind
    std::string subtopic;            // one of kind->commands
    const json_t* payload = nullptr; // a JSON object without "id" (the command's id is added)
    long long timeout_s = 60;
    std::optional<long long> created_by; // the user who asked; nullopt for Sarang itself
};

// Checks the command (422 naming the field when it is not acceptable) and inserts it into the
// commands table in `transaction`. Returns the new command as command_json shows it.
json::Ptr enqueue_command(pg::Transaction& transaction, const NewCommand& command);
// The same in a transaction of its own, for handlers that write nothing else.
json::Ptr enqueue_command(DbPool& pool, const NewCommand& command);

// The columns command_json reads, for SELECT <command_columns()> FROM commands.
std::string command_columns();
// One command row (selected with command_columns) as the API shows it.
json::Ptr command_json(const pg::Result& rows, int row);

} // namespace sarang::http
