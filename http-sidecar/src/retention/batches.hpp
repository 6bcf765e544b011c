#pragma once
// The loop every row-retention job shares (row_retention.hpp).
#include "sarang/pg.hpp"

#include <string>

namespace sarang::retention {

// Runs `batch_sql` ($1: days kept, $2: batch size; one integer back, the rows it deleted) in
// its own transaction until a batch deletes fewer than batch_rows. Returns the sum.
long long delete_in_batches(pg::Connection& db, const std::string& batch_sql, long days);

} // namespace sarang::retention
