#include "handlers/home_field.hpp"

#include "http_error.hpp"

#include <string>

namespace sarang::http {

std::optional<long long> home_field(Services& services, const json_t* body, long long user_id,
                                    bool required) {
    const json_t* value = json_object_get(body, "home_id");
    if (value == nullptr || json_is_null(value)) {
        if (required)
            fail_validation("home_id", "is required");
        return std::nullopt;
    }
    if (!json_is_integer(value))
        fail_validation("home_id", "must be an integer");
    long long home = json_integer_value(value);
    DbPool::Lease db = services.db.acquire();
    if (db->exec("SELECT 1 FROM homes WHERE id = $1 AND owner_id = $2",
                 {std::to_string(home), std::to_string(user_id)})
            .rows() != 1)
        fail_validation("home_id", "is not one of your homes (create one with POST /api/v1/homes)");
    return home;
}

} // namespace sarang::http
