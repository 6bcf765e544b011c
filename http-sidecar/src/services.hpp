#pragma once
// What handlers share: the database pool, the auth settings and the WhatsApp gateway. Built
// once in main().
#include "db_pool.hpp"
#include "notify/gowa_client.hpp"
#include "sarang/auth_settings.hpp"

#include <chrono>
#include <string>

namespace sarang::http {

// provision.* of sarang.conf: what a provisioned device is told, how long a SoftAP
// pre-registration waits for the device, and how many one user may make.
struct ProvisionSettings {
    std::string default_kind = "relay";
    std::chrono::seconds pre_registration_ttl{3600};
    int pre_registrations_per_hour = 20;   // per user, counting refused attempts
    int max_pending_pre_registrations = 5; // per user: neither provisioned nor expired
    std::string broker_host = "127.0.0.1";
    int broker_port = 1883;
};

// vending.* in sarang.conf (docs/vending.md).
struct VendingSettings {
    std::string midtrans_server_key; // at start; empty: payment webhooks are refused
    long long dispense_timeout_ms = 2150;
    long long result_grace_ms = 5000;
    bool dispense_on_payment = true;
};

class PhotoStore;
class ServerKey;

// storage.* and the parcel box's upload and credential settings (docs/parcel.md).
struct StorageSettings {
    std::size_t max_upload_bytes = 5 * 1024 * 1024;
    int uploads_per_device = 1;                 // concurrent, per device credential and sidecar
    std::chrono::seconds rotation_grace{86400}; // generate-token: the old credential's grace
    std::chrono::seconds image_url_ttl{86400};  // signed media links handed out
};

struct Services {
    DbPool& db;
    std::string pepper; // auth.pepper: keys session and device credential hashes
    AuthSettings auth;
    GowaClient gowa{GowaSettings{}};
    VendingSettings vending{};
    ProvisionSettings provision{};
    StorageSettings storage{};
    const PhotoStore* photos = nullptr; // set by main(); --list-routes runs without one
    // Set by main(): the server key as sarang.conf says it now (sarangctl payments set-key).
    // Unset: vending.midtrans_server_key as it was at start.
    ServerKey* server_key = nullptr;
};

} // namespace sarang::http
