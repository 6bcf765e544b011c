#include "text_encoding.hpp"

#include "sarang/crypto.hpp"

namespace sarang::http {

bool valid_utf8(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t size = text.size();
    for (std::size_t i = 0; i < size;) {
        unsigned char lead = bytes[i];
        if (lead == 0)
            return false;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length;
        unsigned int point;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
            point = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            point = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            point = lead & 0x07;
        } else {
            return false; // a continuation byte, an overlong C0/C1 lead, or F5-FF
        }
        if (i + length > size)
            return false;
        for (std::size_t k = 1; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80)
                return false;
            point = (point << 6) | (bytes[i + k] & 0x3F);
        }
        bool overlong = (length == 3 && point < 0x800) || (length == 4 && point < 0x10000);
        if (overlong || (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF)
            return false;
        i += length;
    }
    return true;
}

std::string utf8_or_replaced(std::string_view text) {
    std::string out(text);
    if (valid_utf8(text))
        return out;
    for (char& c : out) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e)
            c = '?';
    }
    return out;
}

std::size_t percent_decode_in_place(char* text) {
    char* out = text;
    for (const char* in = text; *in != '\0';) {
        int high = in[0] == '%' ? crypto::hex_digit_value(in[1]) : -1;
        int low = high >= 0 ? crypto::hex_digit_value(in[2]) : -1;
        if (low >= 0) {
            int value = high * 16 + low;
            *out++ = value == 0 ? static_cast<char>(0xFF) : static_cast<char>(value);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return static_cast<std::size_t>(out - text);
}

} // namespace sarang::http
