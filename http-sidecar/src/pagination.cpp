#include "pagination.hpp"

#include "http_error.hpp"

namespace sarang::http {
namespace {

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string percent_encode(const std::string& text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

json::Ptr text_or_null(const std::optional<std::string>& text) {
    return json::own(text ? json_string(text->c_str()) : json_null());
}

} // namespace

std::string page_url(const std::string& path, const std::map<std::string, std::string>& query,
                     long long page) {
    std::string url = path + "?page=" + std::to_string(page);
    for (const auto& [name, value] : query) {
        if (name != "page")
            url += "&" + percent_encode(name) + "=" + percent_encode(value);
    }
    return url;
}

PageLinks page_links(const std::string& path, const std::map<std::string, std::string>& query,
                     const PageRequest& page, long long count) {
    PageLinks links;
    if (page.offset() + page.size < count)
        links.next = page_url(path, query, page.page + 1);
    if (page.page > 1)
        links.previous = page_url(path, query, page.page - 1);
    return links;
}

void require_page_exists(const PageRequest& page, long long count) {
    if (page.page > 1 && page.offset() >= count)
        throw HttpError(404, "not_found",
                        "invalid page: there are only " + std::to_string(count) + " results");
}

json::Ptr page_object(const Request& request, const PageRequest& page, long long count,
                      json::Ptr results) {
    PageLinks links = page_links(request.path, request.query, page, count);
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "count", json::own(json_integer(count)));
    json::set(body.get(), "next", text_or_null(links.next));
    json::set(body.get(), "previous", text_or_null(links.previous));
    json::set(body.get(), "results", std::move(results));
    return body;
}

} // namespace sarang::http
