#pragma once
// Catalogues of hostile input shared by the bad-input sweeps (REST and MQTT): each entry is a
// label for the test log and the raw text or JSON value to send.
#include "sarang/json.hpp"

#include <string>
#include <vector>

namespace sarang::test {

struct BadText {
    std::string label;
    std::string text;
    // Also bad in free text (a name, a description): control characters. The rest (quotes,
    // traversal, unusual unicode) is only bad where the field names a thing or has a pattern.
    bool bad_in_free_text = false;
};

// Bodies that are not one JSON value: truncated, trailing garbage, invalid UTF-8, NUL, too
// deep, empty.
std::vector<BadText> malformed_json_texts();

// JSON values that are not an object.
std::vector<BadText> non_object_json_texts();

// One path segment, already percent-encoded where needed: traversal, NUL, SQL metacharacters,
// unicode oddities, huge and numeric extremes.
std::vector<BadText> hostile_path_segments();

// Query values, percent-encoded: the same families for query parameters.
std::vector<BadText> hostile_query_values();

// JSON strings (the decoded text) that no constrained field (id, PIN, phone, pattern, enum)
// takes: SQL metacharacters, traversal, unicode oddities, control characters.
std::vector<BadText> hostile_strings();

// JSON texts of string values that are not valid JSON strings at all: escaped NUL, lone
// surrogates, raw invalid UTF-8 (the parser must refuse them).
std::vector<BadText> invalid_json_strings();

// JSON values of every type other than `type` (string, integer, number, boolean, object, array),
// without null: null means "absent" for optional fields.
std::vector<json::Ptr> wrong_type_values(const std::string& type);

// Numbers no field takes: beyond 64 bits, negative extremes, and a huge array.
std::vector<BadText> huge_json_values();

// Authorization / X-API-Key values that are not a credential.
std::vector<BadText> hostile_credentials();

} // namespace sarang::test
