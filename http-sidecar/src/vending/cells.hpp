#pragma once
// One column of a result row as a JSON value, SQL NULL as null: the vending handlers show rows
// field by field.
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

namespace sarang::http::cells {

json::Ptr text(const pg::Result& rows, int row, int column);
json::Ptr integer(const pg::Result& rows, int row, int column);
json::Ptr boolean(const pg::Result& rows, int row, int column);
// A jsonb column selected as ::text.
json::Ptr json(const pg::Result& rows, int row, int column);

} // namespace sarang::http::cells
