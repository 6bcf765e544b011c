#pragma once
// A vending machine is a device of kind vending that the caller may see (its owner, or an
// admin); anything else answers 404, as device_access does.
#include "handlers/device_access.hpp"

namespace sarang::http {

// `device`: the route's {id}, already checked by its Access::device_owner rule.
VisibleDevice vending_machine(const VisibleDevice& device);

// The {slot} path parameter: 1-255, else 404.
long long slot_param(const Request& request);

// SELECT <slot_columns()> FROM slots s LEFT JOIN products p ON p.id = s.product_id
std::string slot_columns();
json::Ptr slot_json(const pg::Result& rows, int row);

} // namespace sarang::http
