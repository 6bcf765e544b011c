#pragma once
// PostgreSQL's own pg_dump and pg_restore (Debian's postgresql-client, found on PATH) run as
// child processes. db.dsn reaches them through PG* environment variables, never argv: argv is
// visible to every user in ps, a process's environment only to its owner and root.
#include <string>
#include <vector>

namespace sarang::ctl {

// Runs `program` (searched on PATH) with `arguments`, db.dsn in its environment; stdin is
// /dev/null, stdout and stderr are this process's. Returns its exit status (128 + signal when
// killed); throws std::runtime_error when it cannot be started.
int run_pg_tool(const std::string& program, const std::vector<std::string>& arguments,
                const std::string& dsn);

// The --dbname argument naming db.dsn's database and nothing else (the rest comes from the
// environment): pg_restore writes a script instead of restoring without one.
std::string database_argument(const std::string& dsn);

} // namespace sarang::ctl
