#pragma once
// Owning handles for jansson values. jansson's *_new setters steal a reference and the others do
// not; set() and append() here always take ownership of what they are given, so callers never
// count references by hand.
#include <jansson.h>
#include <memory>
#include <string>
#include <string_view>

namespace sarang::json {

struct Decref {
    void operator()(json_t* value) const { json_decref(value); }
};
using Ptr = std::unique_ptr<json_t, Decref>;

// Takes a new reference (as returned by json_object(), json_string(), ...). Throws
// std::bad_alloc for nullptr, which is how jansson reports allocation failure.
Ptr own(json_t* new_reference);

// nullptr and a message with line and column when the text is not one JSON value.
Ptr parse(std::string_view text, std::string& error);

// Compact text; throws std::bad_alloc on failure.
std::string dump(const json_t* value);

void set(json_t* object, const char* key, Ptr value);
void append(json_t* array, Ptr value);

} // namespace sarang::json
