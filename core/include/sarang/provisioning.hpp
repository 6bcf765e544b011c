#pragma once
// Self-registration of a device that proves the factory secret (seed 000's auto-register), the
// one implementation behind both doors: the broker's provisioning plugin (MQTT request/response)
// and the sidecar's POST /api/v1/devices/auto-register.
//
// The rules, from the anchors' complaints:
// - A new id is created with the presented label PIN (argon2id) and gets a fresh credential.
// - An existing id gets a credential only when the request proves its PIN (a factory reset): a
//   new credential, the old one revoked at once. Without the PIN nothing is handed out, so a
//   repeated request never returns a token and the factory secret never takes a device over.
// - The owner, home and state never change here.
// - Wrong PINs count per caller: per device and client address here, per device and user for a
//   claim, so a stranger's guesses never lock the owner's claim or the device's own factory
//   reset. All callers of one device also share a ceiling (device_ceiling_rule), so many callers
//   together still cannot guess a PIN. Every outcome is audited.
// - argon2id runs on the caller's thread (a worker or the sidecar's slow lane) with no database
//   connection held.
#include "sarang/crypto.hpp"
#include "sarang/lockout.hpp"
#include "sarang/pg.hpp"
#include "sarang/throttle_store.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sarang::provisioning {

// The MAC-based id of seed 000's firmware: "44:1d:64:be:22:08" or "441D64BE2208" ->
// "441D64BE2208". nullopt unless exactly 12 hex digits remain once colons are removed.
std::optional<std::string> normalize_device_id(std::string_view raw);

// nullopt when acceptable; otherwise what is wrong. Label PINs are 4-32 of [A-Za-z0-9].
std::optional<std::string> label_pin_problem(std::string_view pin);

// The lockout every caller's wrong label PINs for one device share, in auth_throttle as
// ("device-pin", device id) for claims and re-registrations alike: 100 failures within 30 days
// lock the device for an hour, doubling up to a day. One caller alone, slowed by its own key,
// needs about a day to reach it; all callers together get at most about 1,200 guesses a year
// (docs/provisioning.md has the arithmetic). The sidecar's purger keeps these rows 30 days.
LockoutRule device_ceiling_rule();

// The throttle keys of a label PIN check for `device_id` by one caller ("address" or "user"
// and its value): the caller's own key first (its count is the remaining attempts a success
// forgets), then the device's ceiling.
ThrottleKey caller_key(const std::string& device_id, std::string_view caller_kind,
                       const std::string& caller, const LockoutRule& rule);
ThrottleKey ceiling_key(const std::string& device_id);

struct Settings {
    std::string pepper;
    crypto::Argon2Params argon2;
    LockoutRule device_rule;  // wrong PINs per device and caller
    LockoutRule address_rule; // wrong PINs per client address, across devices
    std::string default_kind = "relay";
};

struct Request {
    std::string device_id; // as sent
    std::string pin;
    std::string kind; // empty: the default kind
    std::string via;  // mqtt or http, for the audit
    std::string client_address;
    std::string client_id; // mqtt only, for the audit
    std::optional<long long> factory_secret_id;
};

enum class Status {
    registered,      // new device
    reissued,        // existing device, PIN proved: new credential, old one revoked
    invalid_request, // `field` names what is wrong
    invalid_pin,     // `remaining_attempts` before the lockout
    locked_out,      // `retry_after`
    refused,         // exists, but cannot be re-registered (revoked, or no PIN on record)
    conflict,        // the topic prefix is taken by another device
};

struct Outcome {
    Status status = Status::invalid_request;
    std::string code; // stable machine word
    std::string message;
    std::string field;
    std::string device_id, kind, topic_prefix;
    std::string credential; // registered or reissued only: shown once
    int remaining_attempts = 0;
    std::chrono::seconds retry_after{0};
    bool issued() const { return status == Status::registered || status == Status::reissued; }
};

// Runs its argument with a database connection; called a few times per registration so that
// no connection is held while argon2id runs.
using WithDb = std::function<void(const std::function<void(pg::Connection&)>&)>;

Outcome register_device(const WithDb& with_db, const Settings& settings, const Request& request);

// The id of the live factory secret that `presented` is, if any (HTTP side; the broker keeps its
// own snapshot).
std::optional<long long> live_factory_secret(pg::Connection& db, std::string_view pepper,
                                             std::string_view presented);

// One audit_log row (the same table the sidecar writes). Never pass a secret in detail_json.
void audit(pg::Connection& db, const std::optional<long long>& user_id, const std::string& username,
           const std::string& client_address, const std::string& action, const std::string& outcome,
           const std::string& detail_json);

} // namespace sarang::provisioning
