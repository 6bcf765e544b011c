#include "openapi_operations.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace sarang::test {
namespace {

// Follows "$ref": "#/components/schemas/X" and a single-entry allOf.
const json_t* resolve(const json_t* document, const json_t* schema) {
    for (int hops = 0; schema != nullptr && hops < 8; ++hops) {
        if (const char* ref = json_string_value(json_object_get(schema, "$ref"))) {
            const char* name = std::strrchr(ref, '/');
            schema =
                json_object_get(json_object_get(json_object_get(document, "components"), "schemas"),
                                name ? name + 1 : ref);
            continue;
        }
        const json_t* all_of = json_object_get(schema, "allOf");
        if (json_is_array(all_of) && json_array_size(all_of) == 1) {
            schema = json_array_get(all_of, 0);
            continue;
        }
        break;
    }
    return schema;
}

ApiField field_of(const json_t* document, const std::string& name, const json_t* raw) {
    const json_t* schema = resolve(document, raw);
    ApiField field;
    field.name = name;
    if (const char* type = json_string_value(json_object_get(schema, "type")))
        field.type = type;
    field.nullable = json_is_true(json_object_get(schema, "nullable")) ||
                     json_is_true(json_object_get(raw, "nullable"));
    const char* format = json_string_value(json_object_get(schema, "format"));
    bool plain_format = format == nullptr || std::strcmp(format, "password") == 0;
    field.constrained = json_object_get(schema, "pattern") != nullptr ||
                        json_object_get(schema, "enum") != nullptr || !plain_format;
    if (const json_t* max = json_object_get(schema, "maxLength"))
        field.max_length = json_integer_value(max);
    return field;
}

} // namespace

std::vector<ApiOperation> api_operations(const json_t* document) {
    std::vector<ApiOperation> operations;
    const char* path;
    json_t* item;
    json_object_foreach(json_object_get(document, "paths"), path, item) {
        const char* method;
        json_t* spec;
        json_object_foreach(item, method, spec) {
            ApiOperation op;
            op.method = method;
            std::transform(op.method.begin(), op.method.end(), op.method.begin(), ::toupper);
            if (op.method == "PARAMETERS")
                continue;
            op.path = path;
            size_t i;
            json_t* requirement;
            json_array_foreach(json_object_get(spec, "security"), i, requirement) {
                const char* scheme;
                json_t* scopes;
                json_object_foreach(requirement, scheme, scopes) op.security.push_back(scheme);
            }
            json_t* parameter;
            json_array_foreach(json_object_get(spec, "parameters"), i, parameter) {
                parameter = const_cast<json_t*>(resolve(document, parameter));
                ApiParameter p;
                p.name = json_string_value(json_object_get(parameter, "name"));
                p.in = json_string_value(json_object_get(parameter, "in"));
                p.schema = field_of(document, p.name, json_object_get(parameter, "schema"));
                p.schema.required = json_is_true(json_object_get(parameter, "required"));
                op.parameters.push_back(p);
            }
            const json_t* request_body = json_object_get(spec, "requestBody");
            op.body_required = json_is_true(json_object_get(request_body, "required"));
            const json_t* content = json_object_get(request_body, "content");
            op.multipart_body = json_object_get(content, "multipart/form-data") != nullptr;
            if (const json_t* body = json_object_get(content, "application/json")) {
                op.json_body = true;
                if (const json_t* example = json_object_get(body, "example"))
                    op.example = json::Ptr(json_deep_copy(example));
                const json_t* schema = resolve(document, json_object_get(body, "schema"));
                const json_t* required = json_object_get(schema, "required");
                const char* name;
                json_t* property;
                json_object_foreach(json_object_get(schema, "properties"), name, property) {
                    ApiField field = field_of(document, name, property);
                    size_t j;
                    json_t* entry;
                    json_array_foreach(required, j, entry) {
                        if (std::strcmp(json_string_value(entry), name) == 0)
                            field.required = true;
                    }
                    op.fields.push_back(field);
                }
            }
            operations.push_back(std::move(op));
        }
    }
    return operations;
}

std::set<std::string> sidecar_routes() {
    std::string command =
        std::string(std::getenv("SARANG_BUILD")) + "/http-sidecar/sarang-httpd --list-routes";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        throw std::runtime_error("cannot run " + command);
    std::set<std::string> routes;
    char line[512];
    while (std::fgets(line, sizeof line, pipe)) {
        std::string route(line);
        route.erase(route.find_last_not_of('\n') + 1);
        routes.insert(route);
    }
    if (pclose(pipe) != 0)
        throw std::runtime_error(command + " failed");
    return routes;
}

} // namespace sarang::test
