#pragma once
// The operations of http-sidecar/openapi.json as the bad-input sweep needs them: method, path,
// authentication, parameters and the request body's fields with their declared constraints.
#include "sarang/json.hpp"

#include <set>
#include <string>
#include <vector>

namespace sarang::test {

struct ApiField {
    std::string name;
    std::string type; // string, integer, number, boolean, object, array; empty: not declared
    bool required = false;
    bool nullable = false;
    // A pattern, enum or format (other than password): text outside it is bad input, where a
    // plain string field (a name, a description) takes any text up to max_length.
    bool constrained = false;
    long long max_length = -1;
};

struct ApiParameter {
    std::string name;
    std::string in; // path or query
    ApiField schema;
};

struct ApiOperation {
    std::string method;                // upper case
    std::string path;                  // with {placeholders}
    std::vector<std::string> security; // scheme names; empty: public
    std::vector<ApiParameter> parameters;
    bool json_body = false;
    bool body_required = false; // requestBody.required: without it an empty body is no body
    bool multipart_body = false;
    std::vector<ApiField> fields; // of the JSON body, when its schema lists properties
    json::Ptr example;            // the JSON body's example, if any

    std::string key() const { return method + " " + path; }
};

// Parses the document (the sidecar serves it at /api/docs/openapi.json).
std::vector<ApiOperation> api_operations(const json_t* document);

// "GET /api/v1/devices/{id}" lines from the sidecar binary's own route table
// (sarang-httpd --list-routes, from $SARANG_BUILD); throws when the binary fails.
std::set<std::string> sidecar_routes();

} // namespace sarang::test
