#pragma once
// The access plugin's in-memory view of devices: what BASIC_AUTH and ACL_CHECK answer from.
// Owned and mutated by the broker thread only (updates arrive through the mailbox in TICK), so
// lookups take no lock.
#include "sarang/crypto.hpp"
#include "sarang/device_kinds.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sarang::access {

using WallClock = std::chrono::system_clock;

// An active (not revoked) device certificate (sql/0020_device_certificates.sql): the SHA-256
// of its DER encoding, and when it stops being accepted.
struct CertificateRecord {
    crypto::Digest fingerprint{};
    WallClock::time_point not_after{};
    bool operator==(const CertificateRecord&) const = default;
};

struct DeviceRecord {
    std::string id;
    std::string kind_name;
    const KindSpec* kind = nullptr; // nullptr: a kind this build does not know; never admitted
    std::string topic_prefix;
    std::string state;
    std::optional<crypto::Digest> credential_hash;
    // The credential before the last rotation, accepted until previous_expires_at.
    std::optional<crypto::Digest> previous_hash;
    WallClock::time_point previous_expires_at{};
    std::optional<long long> owner_id;           // the user whose app sessions may read this device
    std::vector<CertificateRecord> certificates; // active ones only

    bool revoked() const { return state == "revoked"; }
    bool operator==(const DeviceRecord&) const = default;
};

enum class CredentialMatch { none, current, previous };

// Which of the device's credentials `presented` (HMAC of what the client sent) is at `now`.
// Both comparisons always run, in constant time, whatever the outcome.
CredentialMatch match_credential(const DeviceRecord& device, const crypto::Digest& presented,
                                 WallClock::time_point now);

// True when `fingerprint` is one of the device's active certificates and has not expired.
bool certificate_valid(const DeviceRecord& device, const crypto::Digest& fingerprint,
                       WallClock::time_point now);

// What a connection was admitted with, so it can be checked again when the device changes.
struct Session {
    std::string device_id;
    std::string client_id;
    crypto::Digest credential{}; // the password's HMAC, or the certificate's fingerprint
    std::string kind_name;
    std::string topic_prefix;
    // What ACL checks use, so they need no snapshot lookup: a session whose device's kind or
    // prefix changes is kicked (session_still_valid), so these never go stale while it lives.
    const KindSpec* kind = nullptr;
    bool certificate = false; // admitted by a client certificate (mutual TLS)
};

// False when the session must end: the device is gone or revoked, its kind or prefix moved, or
// the credential it used is no longer accepted (rotated without grace, or the grace is over).
bool session_still_valid(const DeviceRecord* device, const Session& session,
                         WallClock::time_point now);

class DeviceSnapshot {
  public:
    const DeviceRecord* find(std::string_view id) const;
    // The device an active certificate with this fingerprint belongs to (nullptr: none).
    const DeviceRecord* find_by_certificate(const crypto::Digest& fingerprint) const;

    // Both return the ids whose record changed or vanished; their sessions need a new look.
    std::vector<std::string> replace_all(std::vector<DeviceRecord> records);
    std::vector<std::string> update(const std::string& id, std::optional<DeviceRecord> record);

    bool loaded() const { return loaded_; }
    std::size_t size() const { return devices_.size(); }
    // Topic prefixes of the devices a user owns (empty when none).
    const std::vector<std::string>& prefixes_owned_by(long long user_id) const;
    // True when the topic lies under the prefix of a device that is not revoked (what an
    // admin's app session may read): one lookup per level of the topic.
    bool under_device_prefix(std::string_view topic) const;

  private:
    // Both also keep live_prefixes_ (every device's, not only owned ones) and by_fingerprint_ in
    // step.
    void index_owner(const DeviceRecord& record);
    void unindex_owner(const DeviceRecord& record);

    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const {
            return std::hash<std::string_view>{}(key);
        }
    };
    std::unordered_map<std::string, DeviceRecord, Hash, std::equal_to<>> devices_;
    std::unordered_map<long long, std::vector<std::string>> prefixes_by_owner_;
    std::unordered_map<std::string, int, Hash, std::equal_to<>> live_prefixes_; // prefix -> count
    // Raw 32-byte fingerprint -> device id, over every device's active certificates.
    std::unordered_map<std::string, std::string, Hash, std::equal_to<>> by_fingerprint_;
    bool loaded_ = false;
};

} // namespace sarang::access
