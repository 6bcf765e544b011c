#include "pg_tools.hpp"
#include "sarang/pg.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>

extern char** environ;

namespace sarang::ctl {
namespace {

std::map<std::string, std::string> child_environment(const std::string& dsn) {
    std::map<std::string, std::string> values;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string text = *entry;
        std::size_t equals = text.find('=');
        if (equals != std::string::npos)
            values[text.substr(0, equals)] = text.substr(equals + 1);
    }
    // Not "sarang-...": restore ends those sessions (restore_refresh.cpp), never its own tools'.
    values["PGAPPNAME"] = "sarangctl";
    for (auto& [name, value] : pg::libpq_environment(dsn))
        values[name] = value;
    return values;
}

} // namespace

int run_pg_tool(const std::string& program, const std::vector<std::string>& arguments,
                const std::string& dsn) {
    std::vector<std::string> environment_text;
    for (auto& [name, value] : child_environment(dsn))
        environment_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& entry : environment_text)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<std::string> words{program};
    words.insert(words.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& word : words)
        argv.push_back(word.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // Never a password prompt on a terminal: a wrong db.dsn fails instead of waiting.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    pid_t child = 0;
    int spawned =
        posix_spawnp(&child, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0)
        throw std::runtime_error("cannot run " + program + ": " + std::strerror(spawned) +
                                 " (Debian: apt install postgresql-client)");
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            throw std::runtime_error("cannot wait for " + program + ": " + std::strerror(errno));
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

std::string database_argument(const std::string& dsn) {
    std::string name;
    std::string user;
    for (auto& [variable, value] : pg::libpq_environment(dsn)) {
        if (variable == "PGDATABASE")
            name = value;
        else if (variable == "PGUSER")
            user = value;
    }
    if (name.empty())
        name = user; // libpq's own default
    if (name.empty())
        throw std::runtime_error("db.dsn names no database (dbname=...)");
    // A conninfo string holding only dbname, quoted so no value can add other settings.
    std::string quoted = "dbname='";
    for (char c : name) {
        if (c == '\'' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    return quoted + "'";
}

} // namespace sarang::ctl
