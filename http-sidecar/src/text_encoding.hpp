#pragma once
// Request text (the path, query names and values) must be UTF-8 before anything uses it:
// PostgreSQL refuses other bytes in a text parameter, and jansson cannot put them in a reply, so
// they would otherwise surface as a 500 far from where they came in.
#include <cstddef>
#include <string>
#include <string_view>

namespace sarang::http {

// Well-formed UTF-8: no stray continuation bytes, no overlong forms (C0 AE for '.'), no
// surrogates, nothing above U+10FFFF. NUL is refused as well.
bool valid_utf8(std::string_view text);

// `text` when it is valid_utf8, else a copy with every byte outside printable ASCII replaced by
// '?': an error message quoting a client's bytes must still fit in the JSON answer.
std::string utf8_or_replaced(std::string_view text);

// libmicrohttpd's unescape callback: %XX decoded in place, except that %00 becomes the byte 0xFF.
// A decoded NUL would end the C string early ("x%00.jpg" read as "x"); 0xFF is never UTF-8, so
// the request fails valid_utf8 and is refused as a whole. Returns the new length.
std::size_t percent_decode_in_place(char* text);

} // namespace sarang::http
