#include "handlers/whatsapp_common.hpp"

#include "http_error.hpp"
#include "json_body.hpp"

#include <algorithm>
#include <cctype>

namespace sarang::http::whatsapp {

bool valid_phone(const std::string& phone) {
    return phone.size() >= 8 && phone.size() <= 15 &&
           std::all_of(phone.begin(), phone.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string required_phone(const json_t* body) {
    std::string phone = required_string(body, "phone");
    if (!valid_phone(phone))
        fail_validation("phone", "must be 8 to 15 digits, country code first (6281234567890)");
    return phone;
}

namespace {

json::Ptr phones(const pg::Result& rows) {
    json::Ptr list = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(list.get(), json::own(json_string(std::string(rows.text(row, 0)).c_str())));
    return list;
}

} // namespace

json::Ptr recipients_of(pg::Connection& db, long long user_id) {
    return phones(db.exec("SELECT phone FROM whatsapp_recipients WHERE user_id = $1"
                          " ORDER BY created_at, phone",
                          {std::to_string(user_id)}));
}

json::Ptr unverified_of(pg::Connection& db, long long user_id) {
    return phones(db.exec("SELECT phone FROM whatsapp_recipients WHERE user_id = $1"
                          " AND verified_at IS NULL ORDER BY created_at, phone",
                          {std::to_string(user_id)}));
}

Response ok(json::Ptr reply) {
    json::set(reply.get(), "success", json::own(json_true()));
    return json_response(200, reply.get());
}

} // namespace sarang::http::whatsapp
