#pragma once
// What handlers share: the database pool and the auth settings. Built once in main().
#include "db_pool.hpp"
#include "sarang/auth_settings.hpp"

#include <string>

namespace sarang::http {

struct Services {
    DbPool& db;
    std::string pepper; // auth.pepper: keys session and device credential hashes
    AuthSettings auth;
};

} // namespace sarang::http
