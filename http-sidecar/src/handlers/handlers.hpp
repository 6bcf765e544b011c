#pragma once
// Each resource file adds its routes to the one router.
#include "metrics.hpp"
#include "router.hpp"
#include "services.hpp"
#include "stream/stream_hub.hpp"

namespace sarang::http {

void add_health_routes(Router& router, DbPool& pool);
void add_operations_routes(Router& router, const Metrics& metrics); // /metrics, OpenAPI
void add_account_routes(Router& router, Services& services);        // register, login, session
void add_secret_routes(Router& router, Services& services);         // first-setup, PINs, passwords
void add_device_routes(Router& router, Services& services);
void add_device_readings_routes(Router& router, Services& services); // one device's history
void add_device_command_routes(Router& router, Services& services);  // outbox: history, raw send
void add_threshold_routes(Router& router, Services& services);       // per-device metric bands
void add_readings_routes(Router& router, Services& services);        // the fleet's latest values
void add_ingest_routes(Router& router, Services& services);          // readings posted by devices
void add_whatsapp_link_routes(Router& router, Services& services);   // /api/whatsapp: GOWA
void add_whatsapp_recipient_routes(Router& router, Services& services); // /api/whatsapp: per user
void add_webhook_routes(Router& router, Services& services);      // webhooks, notification history
void add_provisioning_routes(Router& router, Services& services); // auto-register, claim
void add_softap_routes(Router& router, Services& services);       // /api/provision: pre-register
void add_home_routes(Router& router, Services& services);         // /api/v1/homes
void add_package_upload_routes(Router& router, Services& services); // photos from the parcel box
void add_package_routes(Router& router, Services& services);        // packages, photos, media
void add_parcel_device_routes(Router& router, Services& services);  // /api/device: status, control
void add_device_event_routes(Router& router, Services& services);   // one device's event history
void add_door_lock_routes(Router& router, Services& services);      // remote unlock (PIN checked)
void add_stream_routes(Router& router, Services& services, StreamHub& hub); // live events (SSE)
// One device's MQTT connection history (the dashboard's presence table).
void add_device_presence_routes(Router& router, Services& services);
// Vending (docs/vending.md).
void add_vending_payment_routes(Router& router, Services& services);  // /api/payments/webhook
void add_vending_dispense_routes(Router& router, Services& services); // /api/dispense/trigger
void add_vending_machine_routes(Router& router, Services& services);  // machines, config
void add_vending_slot_routes(Router& router, Services& services);     // slots, restock
void add_vending_order_routes(Router& router, Services& services);
void add_vending_product_routes(Router& router, Services& services);
void add_vending_log_routes(Router& router, Services& services); // dispense and stock logs

// A route handler of the usual shape, bound to the services it needs.
using ServiceHandler = Response (*)(Services&, const Request&);
inline Handler bound(Services& services, ServiceHandler handler) {
    return [&services, handler](const Request& request) { return handler(services, request); };
}

// Every route, as sarang-httpd serves it.
void add_all_routes(Router& router, Services& services, const Metrics& metrics, StreamHub& hub);

} // namespace sarang::http
