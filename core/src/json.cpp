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

// Length of the valid UTF-8 sequence starting at `at` (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when it is not one.
std::size_t valid_sequence(const unsigned char* at, const unsigned char* end) {
    unsigned char lead = at[0];
    if (lead < 0x80)
        return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf; // allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            low = 0xa0;
        else if (lead == 0xed)
            high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            low = 0x90;
        else if (lead == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    if (static_cast<std::size_t>(end - at) < length || at[1] < low || at[1] > high)
        return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (at[i] < 0x80 || at[i] > 0xbf)
            return 0;
    }
    return length;
}

// A deep copy in which every string and key is valid UTF-8, for dump()'s second attempt.
json_t* sanitized_copy(const json_t* value) {
    switch (json_typeof(value)) {
    case JSON_STRING: {
        std::string text = valid_utf8({json_string_value(value), json_string_length(value)});
        return json_stringn_nocheck(text.data(), text.size());
    }
    case JSON_OBJECT: {
        json_t* copy = json_object();
        const char* key = nullptr;
        json_t* member = nullptr;
        // json_object_foreach needs a non-const object; it does not modify it.
        json_object_foreach(const_cast<json_t*>(value), key, member) {
            std::string valid_key = valid_utf8(key);
            if (copy == nullptr ||
                json_object_set_new_nocheck(copy, valid_key.c_str(), sanitized_copy(member)) != 0)
                break;
        }
        return copy;
    }
    case JSON_ARRAY: {
        json_t* copy = json_array();
        for (std::size_t i = 0; copy != nullptr && i < json_array_size(value); ++i) {
            if (json_array_append_new(copy, sanitized_copy(json_array_get(value, i))) != 0)
                break;
        }
        return copy;
    }
    default:
        return json_deep_copy(value);
    }
}

constexpr std::size_t dump_flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);

} // namespace

std::string valid_utf8(std::string_view bytes) {
    const auto* at = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = at + bytes.size();
    std::string out;
    out.reserve(bytes.size());
    while (at < end) {
        if (std::size_t length = valid_sequence(at, end)) {
            out.append(reinterpret_cast<const char*>(at), length);
            at += length;
        } else {
            out += "\xEF\xBF\xBD"; // U+FFFD, one per invalid byte
            ++at;
        }
    }
    return out;
}

Ptr string(std::string_view bytes) {
    std::string text = valid_utf8(bytes);
    return own(json_stringn_nocheck(text.data(), text.size()));
}

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
    char* text = json_dumps(value, dump_flags);
    if (text == nullptr) {
        // jansson refuses invalid UTF-8 in a string or key built with *_nocheck (and reports it
        // as a plain failure): dump a repaired copy rather than fail the caller.
        Ptr repaired = own(sanitized_copy(value));
        text = json_dumps(repaired.get(), dump_flags);
    }
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
