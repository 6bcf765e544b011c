// Vending products: the catalogue slots point at. Every signed-in user may read it; admins
// change it.
//
//   GET  /api/v1/vending/products?page=&page_size=
//   POST /api/v1/vending/products {"name", "description"?}      201
//   GET  /api/v1/vending/products/{id}
//   PUT  /api/v1/vending/products/{id} {"name", "description"?, "active"?}
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "json_body.hpp"
#include "pagination.hpp"
#include "time_text.hpp"
#include "vending/cells.hpp"

#include <charconv>

namespace sarang::http {
namespace {

std::string product_columns() {
    return "id, name, description, active, " + iso8601_sql("created_at");
}

json::Ptr product_json(const pg::Result& rows, int row) {
    json::Ptr product = json::own(json_object());
    json::set(product.get(), "id", cells::integer(rows, row, 0));
    json::set(product.get(), "name", cells::text(rows, row, 1));
    json::set(product.get(), "description", cells::text(rows, row, 2));
    json::set(product.get(), "active", cells::boolean(rows, row, 3));
    json::set(product.get(), "created_at", cells::text(rows, row, 4));
    return product;
}

struct ProductFields {
    std::string name, description;
    bool active = true;
};

ProductFields read_fields(const json_t* body) {
    ProductFields fields{required_text(body, "name", 100),
                         optional_text(body, "description", 1000, Lines::several).value_or("")};
    const json_t* active = json_object_get(body, "active");
    if (active != nullptr && !json_is_null(active)) {
        if (!json_is_boolean(active))
            fail_validation("active", "must be true or false");
        fields.active = json_is_true(active);
    }
    return fields;
}

std::string product_id(const Request& request) {
    const std::string& text = *request.param("id");
    long long id = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error != std::errc() || end != text.data() + text.size() || id < 1)
        throw HttpError(404, "not_found", "no product " + text);
    return text;
}

Response list_products(Services& services, const Request& request) {
    PageRequest page = query_page(request);
    DbPool::Lease db = services.db.acquire();
    long long count = db->exec("SELECT count(*) FROM products").integer(0, 0);
    require_page_exists(page, count);
    pg::Result rows =
        db->exec("SELECT " + product_columns() + " FROM products ORDER BY id LIMIT $1 OFFSET $2",
                 {std::to_string(page.size), std::to_string(page.offset())});
    json::Ptr results = json::own(json_array());
    for (int row = 0; row < rows.rows(); ++row)
        json::append(results.get(), product_json(rows, row));
    json::Ptr body = page_object(request, page, count, std::move(results));
    return json_response(200, body.get());
}

Response create_product(Services& services, const Request& request) {
    json::Ptr body = json_object_body(request);
    ProductFields fields = read_fields(body.get());
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec("INSERT INTO products (name, description, active)"
                               " VALUES ($1, $2, $3) RETURNING " +
                                   product_columns(),
                               {fields.name, fields.description, fields.active ? "true" : "false"});
    json::Ptr product = product_json(rows, 0);
    return json_response(201, product.get());
}

Response get_product(Services& services, const Request& request) {
    DbPool::Lease db = services.db.acquire();
    pg::Result rows = db->exec("SELECT " + product_columns() + " FROM products WHERE id = $1",
                               {product_id(request)});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no product " + *request.param("id"));
    json::Ptr product = product_json(rows, 0);
    return json_response(200, product.get());
}

Response put_product(Services& services, const Request& request) {
    std::string id = product_id(request);
    json::Ptr body = json_object_body(request);
    ProductFields fields = read_fields(body.get());
    DbPool::Lease db = services.db.acquire();
    pg::Result rows =
        db->exec("UPDATE products SET name = $2, description = $3, active = $4"
                 " WHERE id = $1 RETURNING " +
                     product_columns(),
                 {id, fields.name, fields.description, fields.active ? "true" : "false"});
    if (rows.rows() != 1)
        throw HttpError(404, "not_found", "no product " + id);
    json::Ptr product = product_json(rows, 0);
    return json_response(200, product.get());
}

} // namespace

void add_vending_product_routes(Router& router, Services& services) {
    constexpr Access product_admin = Access::admin("only an administrator can change products");
    router.add("GET", "/api/v1/vending/products", Access::user(), bound(services, list_products));
    router.add("POST", "/api/v1/vending/products", product_admin, bound(services, create_product));
    router.add("GET", "/api/v1/vending/products/{id}", Access::user(),
               bound(services, get_product));
    router.add("PUT", "/api/v1/vending/products/{id}", product_admin, bound(services, put_product));
}

} // namespace sarang::http
