#include "json_body.hpp"

#include "http_error.hpp"

#include <cctype>

namespace sarang::http {

void fail_validation(std::string_view field, std::string_view problem) {
    json::Ptr body =
        error_object("validation_failed", std::string(field) + " " + std::string(problem));
    json::set(body.get(), "field", json::own(json_stringn(field.data(), field.size())));
    throw HttpError(json_response(422, body.get()));
}

json::Ptr json_object_body(const Request& request) {
    const std::string* type = request.header("content-type");
    // Media type parameters (charset) are allowed; the type itself must be JSON.
    std::string media = type ? type->substr(0, type->find(';')) : std::string();
    while (!media.empty() && media.back() == ' ')
        media.pop_back();
    for (char& c : media) // media types are case-insensitive (RFC 9110)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((!request.body.empty() || type != nullptr) && media != "application/json")
        throw HttpError(415, "unsupported_media_type",
                        "send the body as application/json (Content-Type header)");
    if (request.body.empty())
        throw HttpError(400, "malformed_json", "a JSON object body is required");
    std::string error;
    json::Ptr body = json::parse(request.body, error);
    if (!body)
        throw HttpError(400, "malformed_json", "body is not valid JSON: " + error);
    if (!json_is_object(body.get()))
        throw HttpError(400, "malformed_json", "body must be a JSON object");
    return body;
}

std::optional<std::string> optional_string(const json_t* object, const char* field) {
    const json_t* value = json_object_get(object, field);
    if (value == nullptr || json_is_null(value))
        return std::nullopt;
    if (!json_is_string(value))
        fail_validation(field, "must be a string");
    return std::string(json_string_value(value), json_string_length(value));
}

std::string required_string(const json_t* object, const char* field) {
    std::optional<std::string> value = optional_string(object, field);
    if (!value || value->empty())
        fail_validation(field, "is required");
    return *value;
}

std::optional<std::string> optional_text(const json_t* object, const char* field,
                                         std::size_t max_bytes, Lines lines) {
    std::optional<std::string> text = optional_string(object, field);
    if (!text)
        return text;
    if (text->size() > max_bytes)
        fail_validation(field, "must be at most " + std::to_string(max_bytes) + " characters");
    for (char c : *text) {
        bool line_break = c == '\n' || c == '\t';
        if (std::iscntrl(static_cast<unsigned char>(c)) && !(lines == Lines::several && line_break))
            fail_validation(field, lines == Lines::one ? "must not contain control characters"
                                                       : "must not contain control characters"
                                                         " other than line feeds and tabs");
    }
    return text;
}

std::string required_text(const json_t* object, const char* field, std::size_t max_bytes,
                          Lines lines) {
    std::optional<std::string> text = optional_text(object, field, max_bytes, lines);
    if (!text || text->empty())
        fail_validation(field, "is required");
    return *text;
}

std::optional<long long> optional_integer(const json_t* object, const char* field, long long min,
                                          long long max) {
    const json_t* value = json_object_get(object, field);
    if (value == nullptr || json_is_null(value))
        return std::nullopt;
    if (!json_is_integer(value) || json_integer_value(value) < min ||
        json_integer_value(value) > max)
        fail_validation(field, "must be a whole number from " + std::to_string(min) + " to " +
                                   std::to_string(max));
    return json_integer_value(value);
}

long long required_integer(const json_t* object, const char* field, long long min, long long max) {
    std::optional<long long> value = optional_integer(object, field, min, max);
    if (!value)
        fail_validation(field, "is required");
    return *value;
}

} // namespace sarang::http
