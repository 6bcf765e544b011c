#pragma once
// Reading a JSON request body: 415 when it is not declared as JSON, 400 when it is not a JSON
// object, 422 naming the field when a field is missing or of the wrong type.
#include "router.hpp"
#include "sarang/json.hpp"

#include <optional>
#include <string>

namespace sarang::http {

json::Ptr json_object_body(const Request& request);

std::string required_string(const json_t* object, const char* field);
std::optional<std::string> optional_string(const json_t* object, const char* field);
// A whole number in [min, max] (422 naming the field otherwise); nullopt when absent or null.
std::optional<long long> optional_integer(const json_t* object, const char* field, long long min,
                                          long long max);
// Text people read (a name, a description): at most max_bytes, and no control characters, which
// would reach dashboards, logs and WhatsApp captions as terminal escapes or forged lines. A
// multi-line text (a description) may hold line feeds and tabs.
enum class Lines { one, several };
std::optional<std::string> optional_text(const json_t* object, const char* field,
                                         std::size_t max_bytes, Lines lines = Lines::one);
std::string required_text(const json_t* object, const char* field, std::size_t max_bytes,
                          Lines lines = Lines::one);

long long required_integer(const json_t* object, const char* field, long long min, long long max);

} // namespace sarang::http
