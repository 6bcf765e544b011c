#include "vending/cells.hpp"

namespace sarang::http::cells {

json::Ptr text(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    std::string_view value = rows.text(row, column);
    return json::own(json_stringn(value.data(), value.size()));
}

json::Ptr integer(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    return json::own(json_integer(rows.integer(row, column)));
}

json::Ptr boolean(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    return json::own(json_boolean(rows.boolean(row, column)));
}

json::Ptr json(const pg::Result& rows, int row, int column) {
    if (rows.is_null(row, column))
        return json::own(json_null());
    std::string error;
    json::Ptr value = json::parse(rows.text(row, column), error);
    return value ? std::move(value) : json::own(json_null());
}

} // namespace sarang::http::cells
