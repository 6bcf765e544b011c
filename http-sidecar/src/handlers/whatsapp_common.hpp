#pragma once
// What the two WhatsApp handler files share: phone validation, the caller's recipients, the
// success envelope of the seed's answers.
#include "router.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

#include <string>

namespace sarang::http::whatsapp {

// 8-15 digits, country code first: the seed's "numeric only".
bool valid_phone(const std::string& phone);
// The body's "phone", or 422 naming it.
std::string required_phone(const json_t* body);
// The caller's recipients, oldest first, as a JSON array of strings (verified or not: the
// seed's list).
json::Ptr recipients_of(pg::Connection& db, long long user_id);
// Those of them that have not confirmed their code yet (they receive nothing but the code).
json::Ptr unverified_of(pg::Connection& db, long long user_id);
// 200 with "success": true added, as the seed answers.
Response ok(json::Ptr reply);

} // namespace sarang::http::whatsapp
