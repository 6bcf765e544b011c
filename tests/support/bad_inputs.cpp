#include "bad_inputs.hpp"

namespace sarang::test {

std::vector<BadText> malformed_json_texts() {
    return {
        {"truncated object", R"({"a":)"},
        {"single quotes", R"({'a':1})"},
        {"trailing comma", R"({"a":1,})"},
        {"trailing garbage", R"({"a":1}{"b":2})"},
        {"bare word", "nul"},
        {"NaN", R"({"a":NaN})"},
        {"invalid UTF-8", "{\"a\":\"\xff\xfe\"}"},
        {"raw NUL", std::string("{\"a\":\"x\0y\"}", 11)},
        {"BOM and garbage", "\xef\xbb\xbf{]"},
        {"deep nesting", std::string(5000, '[') + std::string(5000, ']')},
        {"deep objects",
         [] {
             std::string text;
             for (int i = 0; i < 3000; ++i)
                 text += "{\"a\":";
             return text + "1" + std::string(3000, '}');
         }()},
        {"empty", ""},
        {"whitespace", " \n\t "},
    };
}

std::vector<BadText> non_object_json_texts() {
    return {{"array", "[]"},  {"string", "\"text\""}, {"number", "42"},
            {"null", "null"}, {"boolean", "true"},    {"array of objects", "[{}]"}};
}

std::vector<BadText> hostile_path_segments() {
    return {
        {"dot dot", ".."},
        {"encoded traversal", "..%2F..%2Fetc%2Fpasswd"},
        {"double-encoded traversal", "%252e%252e%252f"},
        {"dot-encoded traversal", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"},
        {"backslash traversal", "..%5C..%5Cwindows"},
        {"overlong dot", "%C0%AE%C0%AE%2F"},
        {"NUL", "x%00"},
        {"NUL then extension", "a%00.jpg"},
        {"SQL quote", "%27%20OR%20%271%27%3D%271"},
        {"SQL statement", "1%3BDROP%20TABLE%20users--"},
        {"SQL comment", "1%27--"},
        {"invalid UTF-8", "%FF%FE"},
        {"RTL override", "%E2%80%AEgpj.exe"},
        {"emoji", "%F0%9F%92%A9"},
        {"huge", std::string(4000, 'a')},
        {"negative", "-1"},
        {"beyond 64 bits", "99999999999999999999999"},
        {"float", "1e9999"},
        {"space", "%20"},
    };
}

std::vector<BadText> hostile_query_values() {
    return {
        {"SQL quote", "%27%20OR%20%271%27%3D%271"},
        {"SQL statement", "1%3BDROP%20TABLE%20users--"},
        {"traversal", "..%2F..%2Fetc%2Fpasswd"},
        {"NUL", "x%00"},
        {"invalid UTF-8", "%FF%FE"},
        {"negative", "-1"},
        {"beyond 64 bits", "99999999999999999999999"},
        {"fraction", "1.5"},
        {"huge", std::string(4000, '9')},
    };
}

std::vector<BadText> hostile_strings() {
    return {
        {"SQL quote", "' OR '1'='1"},
        {"SQL statement", "x'); DROP TABLE users; --"},
        {"SQL comment", "admin'--"},
        {"traversal", "../../../etc/passwd"},
        {"encoded traversal", "%2e%2e%2f%2e%2e%2f"},
        {"RTL override", "\u202egpj.exe"},
        {"zero-width", "\u200b\u200b"},
        {"combining marks", "a\u0301\u0301\u0301"},
        {"emoji", "\U0001F4A9"},
        {"control characters", "\x01\x02\x1b[31m", true},
        {"newline injection", "x\r\nSet-Cookie: a=b", true},
    };
}

std::vector<BadText> invalid_json_strings() {
    return {{"escaped NUL", R"("a\u0000b")"},
            {"lone surrogate", R"("\ud800")"},
            {"raw invalid UTF-8", "\"\xc0\xae\""}};
}

std::vector<json::Ptr> wrong_type_values(const std::string& type) {
    std::vector<json::Ptr> values;
    if (type != "string")
        values.push_back(json::own(json_string("12")));
    if (type != "integer" && type != "number")
        values.push_back(json::own(json_integer(12)));
    if (type != "number")
        values.push_back(json::own(json_real(1.5)));
    if (type != "boolean")
        values.push_back(json::own(json_true()));
    if (type != "object")
        values.push_back(json::own(json_object()));
    if (type != "array")
        values.push_back(json::own(json_array()));
    return values;
}

std::vector<BadText> huge_json_values() {
    std::string long_array = "[";
    for (int i = 0; i < 5000; ++i)
        long_array += i ? ",1" : "1";
    return {{"beyond 64 bits", "99999999999999999999999"},
            {"negative beyond 64 bits", "-99999999999999999999999"},
            {"double max", "1.7976931348623157e308"},
            {"overflowing exponent", "1e400"},
            {"int64 min", "-9223372036854775808"},
            {"long array", long_array + "]"}};
}

std::vector<BadText> hostile_credentials() {
    return {
        {"SQL quote", "Bearer ' OR '1'='1"},        {"empty bearer", "Bearer "},
        {"other scheme", "Basic YWRtaW46YWRtaW4="}, {"huge", "Bearer " + std::string(6000, 'A')},
        {"control characters", "Bearer \x01\x02"},  {"traversal", "Bearer ../../etc/passwd"}};
}

} // namespace sarang::test
