// GET /metrics (Prometheus text format) and GET /api/docs/openapi.json (the API description,
// compiled in from http-sidecar/openapi.json so the binary and its document never disagree).
#include "handlers.hpp"
#include "openapi_document.hpp"

namespace sarang::http {

void add_operations_routes(Router& router, const Metrics& metrics) {
    router.add("GET", "/metrics", Access::anyone("Prometheus scrapes; bind or proxy to restrict"),
               [&metrics](const Request&) {
                   Response response;
                   response.content_type = "text/plain; version=0.0.4; charset=utf-8";
                   response.body = metrics.render();
                   return response;
               });
    router.add("GET", "/api/docs/openapi.json", Access::anyone("the API description"),
               [](const Request&) {
                   Response response;
                   response.body = openapi_document();
                   return response;
               });
}

void add_all_routes(Router& router, Services& services, const Metrics& metrics, StreamHub& hub) {
    add_health_routes(router, services.db);
    add_operations_routes(router, metrics);
    add_account_routes(router, services);
    add_secret_routes(router, services);
    add_device_routes(router, services);
    add_device_readings_routes(router, services);
    add_device_command_routes(router, services);
    add_threshold_routes(router, services);
    add_readings_routes(router, services);
    add_ingest_routes(router, services);
    add_whatsapp_link_routes(router, services);
    add_whatsapp_recipient_routes(router, services);
    add_webhook_routes(router, services);
    add_stream_routes(router, services, hub);
    add_provisioning_routes(router, services);
    add_softap_routes(router, services);
    add_home_routes(router, services);
    add_vending_payment_routes(router, services);
    add_vending_dispense_routes(router, services);
    add_vending_machine_routes(router, services);
    add_vending_slot_routes(router, services);
    add_vending_order_routes(router, services);
    add_vending_product_routes(router, services);
    add_vending_log_routes(router, services);
    add_package_upload_routes(router, services);
    add_package_routes(router, services);
    add_parcel_device_routes(router, services);
    add_door_lock_routes(router, services);
    add_device_event_routes(router, services);
    add_device_presence_routes(router, services);
}

} // namespace sarang::http
