#include "batches.hpp"

#include "row_retention.hpp"

namespace sarang::retention {

long long delete_in_batches(pg::Connection& db, const std::string& batch_sql, long days) {
    long long total = 0;
    for (;;) {
        // Autocommit: each batch is its own transaction, so its row locks end with it.
        long long deleted =
            db.exec(batch_sql, {std::to_string(days), std::to_string(batch_rows)}).integer(0, 0);
        total += deleted;
        if (deleted < batch_rows)
            return total;
    }
}

} // namespace sarang::retention
