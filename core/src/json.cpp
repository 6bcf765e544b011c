#include "sarang/json.hpp"

#include <cstdio>
#include <cstdlib>
#include <new>

namespace sarang::json {

Ptr own(json_t* new_reference) {
    if (new_reference == nullptr)
        throw std::bad_alloc();
    return Ptr(new_reference);
}

namespace {

// jansson quotes the offending bytes in its messages ("invalid escape '\\u<bytes>'"), and they
// may be anything: invalid UTF-8 makes the message unusable in a JSON answer (jansson refuses
// the string) and control bytes garble logs. Keep printable ASCII, the rest as \xNN.
std::string printable(const char* text) {
    std::string out;
    for (const char* at = text; *at != '\0'; ++at) {
        auto byte = static_cast<unsigned char>(*at);
        if (byte >= 0x20 && byte < 0x7f) {
            out += static_cast<char>(byte);
        } else {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        }
    }
    return out;
}

} // namespace

Ptr parse(std::string_view text, std::string& error) {
    json_error_t details{};
    json_t* value =
        json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &details);
    if (value == nullptr) {
        error = printable(details.text) + " (line " + std::to_string(details.line) + ", column " +
                std::to_string(details.column) + ")";
        return nullptr;
    }
    return Ptr(value);
}

std::string dump(const json_t* value) {
    // 15 significant digits print 6.8 as 6.8 rather than 6.7999999999999998.
    char* text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (text == nullptr)
        throw std::bad_alloc();
    std::string out(text);
    std::free(text);
    return out;
}

void set(json_t* object, const char* key, Ptr value) {
    if (json_object_set_new(object, key, value.release()) != 0)
        throw std::bad_alloc();
}

void append(json_t* array, Ptr value) {
    if (json_array_append_new(array, value.release()) != 0)
        throw std::bad_alloc();
}

} // namespace sarang::json
