#pragma once
// Each resource file adds its routes to the one router.
#include "db_pool.hpp"
#include "router.hpp"

namespace sarang::http {

void add_health_routes(Router& router, DbPool& pool);
void add_readings_routes(Router& router, DbPool& pool);

} // namespace sarang::http
