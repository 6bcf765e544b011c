#include "web_paths.hpp"

#include <array>
#include <utility>

namespace sarang::http::web {
namespace {

bool acceptable_segment(std::string_view segment) {
    if (segment.empty() || segment.front() == '.')
        return false;
    return segment.find('\\') == std::string_view::npos &&
           segment.find('\0') == std::string_view::npos;
}

std::string_view extension_of(std::string_view file_name) {
    std::size_t dot = file_name.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : file_name.substr(dot + 1);
}

bool is_hash_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

std::optional<std::vector<std::string>> file_segments(std::string_view url_path) {
    if (url_path.empty() || url_path.front() != '/')
        return std::nullopt;
    if (url_path == "/")
        return std::vector<std::string>{"index.html"};
    std::vector<std::string> segments;
    std::string_view rest = url_path.substr(1);
    while (true) {
        std::size_t slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        if (!acceptable_segment(segment))
            return std::nullopt;
        segments.emplace_back(segment);
        if (slash == std::string_view::npos)
            break;
        rest = rest.substr(slash + 1);
    }
    return segments;
}

std::optional<std::string_view> content_type_of(std::string_view file_name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> types{{
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"map", "application/json"},
        {"json", "application/json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"ico", "image/x-icon"},
        {"woff2", "font/woff2"},
        {"txt", "text/plain; charset=utf-8"},
        {"webmanifest", "application/manifest+json"},
    }};
    std::string_view extension = extension_of(file_name);
    for (const auto& [known, type] : types) {
        if (extension == known)
            return type;
    }
    return std::nullopt;
}

bool is_content_hashed(std::string_view file_name) {
    std::size_t dot = file_name.rfind('.');
    if (dot == std::string_view::npos || dot < 9)
        return false;
    std::string_view stem = file_name.substr(0, dot);
    std::string_view hash = stem.substr(stem.size() - 8);
    if (stem[stem.size() - 9] != '-')
        return false;
    for (char c : hash) {
        if (!is_hash_character(c))
            return false;
    }
    return true;
}

std::string_view cache_control_of(std::string_view file_name) {
    return is_content_hashed(file_name) ? "public, max-age=31536000, immutable" : "no-cache";
}

std::string_view content_security_policy() {
    return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
           "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
           "form-action 'self'; frame-ancestors 'none'";
}

} // namespace sarang::http::web
