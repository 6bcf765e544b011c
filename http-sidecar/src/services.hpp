#pragma once
// What handlers share: the database pool, the auth settings and the WhatsApp gateway. Built
// once in main().
#include "db_pool.hpp"
#include "notify/gowa_client.hpp"
#include "sarang/auth_settings.hpp"

#include <chrono>
#include <string>

namespace sarang::http {

// provision.* of sarang.conf: what a provisioned device is told and how long a SoftAP
// pre-registration waits for the device.
struct ProvisionSettings {
    std::string default_kind = "relay";
    std::chrono::seconds pre_registration_ttl{3600};
    std::string broker_host = "127.0.0.1";
    int broker_port = 1883;
};

struct Services {
    DbPool& db;
    std::string pepper; // auth.pepper: keys session and device credential hashes
    AuthSettings auth;
    GowaClient gowa{GowaSettings{}};
    ProvisionSettings provision{};
};

} // namespace sarang::http
