#include "command.hpp"
#include "sarang/log.hpp"
#include "sarang/migrations.hpp"
#include "sarang/pg.hpp"

#include <cstdio>

namespace sarang::ctl {

int migrate(const Config& config, const Args& args) {
    std::string folder = args.get("dir").value_or(config.string("db.migrations_dir"));
    pg::Connection db(config.string("db.dsn"), "sarangctl");
    migrations::RunResult result = migrations::run(db, folder);
    if (!result.newer.empty())
        std::printf("the database is newer than this release: %zu migration(s) past its own, up "
                    "to %s; nothing to apply (a rollback, docs/upgrading.md)\n",
                    result.newer.size(), result.newer.back().c_str());
    else if (result.applied.empty())
        std::printf("schema is up to date\n");
    for (const std::string& name : result.applied) {
        std::printf("applied %s\n", name.c_str());
        LOG_INFO("audit", "sarangctl | migrate | %s", name.c_str());
    }
    return 0;
}

} // namespace sarang::ctl
