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

// A JSON string of arbitrary bytes (device payloads, topics, names): each byte sequence that is
// not valid UTF-8 becomes U+FFFD, so jansson never holds a string it refuses to dump.
Ptr string(std::string_view bytes);

// Bytes with every invalid UTF-8 sequence replaced by U+FFFD (EF BF BD); valid text unchanged.
std::string valid_utf8(std::string_view bytes);

// Compact text. A value built with jansson's *_nocheck functions may hold invalid UTF-8, which
// json_dumps refuses: such strings and keys are dumped through valid_utf8() instead, so this
// throws std::bad_alloc only when memory really runs out.
std::string dump(const json_t* value);

void set(json_t* object, const char* key, Ptr value);
void append(json_t* array, Ptr value);

} // namespace sarang::json
