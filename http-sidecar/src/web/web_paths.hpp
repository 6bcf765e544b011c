#pragma once
// Pure rules of the dashboard's static files (http.web_dir): which URL paths name a file, what
// type it is sent as and how long a browser may keep it. The file system side is static_site.*.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sarang::http::web {

// The path segments below the web folder that a URL path names, or nullopt when it names none:
// "/" is index.html; a segment that is empty (a double or trailing slash), "." or "..", starts
// with a dot (hidden files), or holds a backslash or NUL is refused. libmicrohttpd has already
// percent-decoded the path, so "%2e%2e" arrives here as "..".
std::optional<std::vector<std::string>> file_segments(std::string_view url_path);

// By extension; nullopt for a type the dashboard does not ship (such files are not served).
std::optional<std::string_view> content_type_of(std::string_view file_name);

// esbuild names bundles NAME-HASH.EXT with an 8-character [A-Z0-9] hash: such a name never
// changes content, so browsers may keep it for a year. Everything else (index.html) must be
// revalidated, or a deploy would leave browsers on old bundles.
bool is_content_hashed(std::string_view file_name);
std::string_view cache_control_of(std::string_view file_name);

// The page's Content-Security-Policy: scripts and styles from this origin only (no inline
// script), images also from blob: (photos fetched with the session header) and data: (the QR).
std::string_view content_security_policy();

} // namespace sarang::http::web
