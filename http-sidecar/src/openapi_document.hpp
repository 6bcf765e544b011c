#pragma once
#include <string_view>

namespace sarang::http {

// The text of http-sidecar/openapi.json, embedded at build time.
std::string_view openapi_document();

} // namespace sarang::http
