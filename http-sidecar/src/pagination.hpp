#pragma once
// Django REST Framework's page envelope, which seed 003's dashboard reads:
//   {"count": 120, "next": "/api/v1/devices/?page=3&kind=hydro-sensor", "previous": "...",
//    "results": [...]}
// next and previous are relative URLs that keep every other query parameter, or null.
#include "query_params.hpp"
#include "sarang/json.hpp"

#include <map>
#include <optional>
#include <string>

namespace sarang::http {

// The URL of page `page` of `path`, with `query` otherwise unchanged (percent-encoded).
std::string page_url(const std::string& path, const std::map<std::string, std::string>& query,
                     long long page);

struct PageLinks {
    std::optional<std::string> next, previous;
};
PageLinks page_links(const std::string& path, const std::map<std::string, std::string>& query,
                     const PageRequest& page, long long count);

// 404 for a page past the last one (DRF's "Invalid page"); page 1 of nothing is fine.
void require_page_exists(const PageRequest& page, long long count);

// The envelope around `results`.
json::Ptr page_object(const Request& request, const PageRequest& page, long long count,
                      json::Ptr results);

} // namespace sarang::http
