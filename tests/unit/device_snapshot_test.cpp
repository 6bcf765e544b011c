#include "device_snapshot.hpp"
#include "integrations.hpp"

#include "test_digests.hpp"
#include <algorithm>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::access;
using sarang::test::digest;
using namespace std::chrono_literals;

namespace {

DeviceRecord device(const char* id, std::uint8_t secret = 1, const char* state = "registered") {
    DeviceRecord record;
    record.id = id;
    record.kind_name = "hydro-sensor";
    record.kind = find_kind(record.kind_name);
    record.topic_prefix = std::string("hydro/") + id;
    record.state = state;
    record.credential_hash = digest(secret);
    return record;
}

Session session_of(const DeviceRecord& record, std::uint8_t secret) {
    return {record.id, record.id, digest(secret), record.kind_name, record.topic_prefix};
}

void first_load_changes_nothing_and_finds_devices(void**) {
    DeviceSnapshot snapshot;
    assert_false(snapshot.loaded());
    assert_true(snapshot.replace_all({device("pi-1"), device("pi-2")}).empty());
    assert_true(snapshot.loaded());
    assert_int_equal(snapshot.size(), 2);
    assert_non_null(snapshot.find("pi-1"));
    assert_null(snapshot.find("pi-3"));
}

void reload_reports_changed_and_removed_devices(void**) {
    DeviceSnapshot snapshot;
    snapshot.replace_all({device("keep"), device("gone"), device("revoke"), device("rotate")});
    std::vector<std::string> changed = snapshot.replace_all(
        {device("keep"), device("revoke", 1, "revoked"), device("rotate", 2), device("new")});
    std::sort(changed.begin(), changed.end());
    assert_int_equal(changed.size(), 3);
    assert_text_equal(changed[0], "gone");
    assert_text_equal(changed[1], "revoke");
    assert_text_equal(changed[2], "rotate");
    assert_null(snapshot.find("gone"));
    assert_true(snapshot.find("revoke")->revoked());
}

void update_reports_only_real_changes(void**) {
    DeviceSnapshot snapshot;
    snapshot.replace_all({device("pi-1")});
    assert_true(snapshot.update("pi-1", device("pi-1")).empty());
    assert_int_equal(snapshot.update("pi-1", device("pi-1", 9)).size(), 1);
    assert_int_equal(snapshot.update("pi-1", std::nullopt).size(), 1);
    assert_null(snapshot.find("pi-1"));
    assert_true(snapshot.update("never-seen", std::nullopt).empty());
    assert_true(snapshot.update("pi-9", device("pi-9")).empty());
    assert_non_null(snapshot.find("pi-9"));
}

void previous_credential_is_accepted_only_during_its_grace(void**) {
    auto now = WallClock::now();
    DeviceRecord rotated = device("pi-1", 2);
    rotated.previous_hash = digest(1);
    rotated.previous_expires_at = now + 10s;
    assert_int_equal(static_cast<int>(match_credential(rotated, digest(2), now)),
                     static_cast<int>(CredentialMatch::current));
    assert_int_equal(static_cast<int>(match_credential(rotated, digest(1), now)),
                     static_cast<int>(CredentialMatch::previous));
    assert_int_equal(static_cast<int>(match_credential(rotated, digest(1), now + 11s)),
                     static_cast<int>(CredentialMatch::none));
    assert_int_equal(static_cast<int>(match_credential(rotated, digest(3), now)),
                     static_cast<int>(CredentialMatch::none));
    DeviceRecord no_credential = device("pi-2");
    no_credential.credential_hash.reset();
    assert_int_equal(static_cast<int>(match_credential(no_credential, crypto::Digest{}, now)),
                     static_cast<int>(CredentialMatch::none));
}

void sessions_end_when_their_admission_no_longer_holds(void**) {
    auto now = WallClock::now();
    DeviceRecord original = device("pi-1", 1);
    Session session = session_of(original, 1);
    assert_true(session_still_valid(&original, session, now));
    assert_false(session_still_valid(nullptr, session, now));
    DeviceRecord revoked = device("pi-1", 1, "revoked");
    assert_false(session_still_valid(&revoked, session, now));
    DeviceRecord moved = original;
    moved.topic_prefix = "hydro/elsewhere";
    assert_false(session_still_valid(&moved, session, now));
    DeviceRecord rotated_hard = device("pi-1", 2);
    assert_false(session_still_valid(&rotated_hard, session, now));
    DeviceRecord rotated_with_grace = rotated_hard;
    rotated_with_grace.previous_hash = digest(1);
    rotated_with_grace.previous_expires_at = now + 5s;
    assert_true(session_still_valid(&rotated_with_grace, session, now));
    assert_false(session_still_valid(&rotated_with_grace, session, now + 6s));
    DeviceRecord claimed = device("pi-1", 1, "claimed");
    assert_true(session_still_valid(&claimed, session, now)); // ownership states keep sessions
}

} // namespace

void device_prefixes_are_indexed_for_admins(void**) {
    DeviceSnapshot snapshot;
    snapshot.replace_all({device("pi-1"), device("pi-2", 1, "revoked")});
    assert_true(snapshot.under_device_prefix("hydro/pi-1/reading"));
    assert_true(snapshot.under_device_prefix("hydro/pi-1/a/b"));
    assert_false(snapshot.under_device_prefix("hydro/pi-1"));
    assert_false(snapshot.under_device_prefix("hydro/pi-1/"));
    assert_false(snapshot.under_device_prefix("hydro/pi-10/reading"));
    assert_false(snapshot.under_device_prefix("hydro/pi-2/reading")); // revoked
    assert_false(snapshot.under_device_prefix("sarang/provision/x/request"));
    snapshot.update("pi-3", device("pi-3"));
    assert_true(snapshot.under_device_prefix("hydro/pi-3/reading"));
    snapshot.update("pi-1", device("pi-1", 1, "revoked"));
    assert_false(snapshot.under_device_prefix("hydro/pi-1/reading"));
    snapshot.update("pi-2", device("pi-2"));
    assert_true(snapshot.under_device_prefix("hydro/pi-2/reading"));
    snapshot.update("pi-3", std::nullopt);
    assert_false(snapshot.under_device_prefix("hydro/pi-3/reading"));
}

void integrations_are_named_and_diffed(void**) {
    assert_text_equal(integration_name_of("integration:telegraf"), "telegraf");
    assert_true(integration_name_of("telegraf").empty());
    assert_true(integration_name_of("integration:").empty());
    assert_true(integration_client_id("telegraf", "integration:telegraf"));
    assert_true(integration_client_id("telegraf", "integration:telegraf:2"));
    assert_true(integration_client_id("telegraf", "auto-4f3c"));
    assert_false(integration_client_id("telegraf", "integration:telegraf2"));
    assert_false(integration_client_id("telegraf", "integration:other"));
    assert_false(integration_client_id("telegraf", "telegraf"));
    assert_false(integration_client_id("", "integration:"));

    IntegrationSnapshot snapshot;
    Integration lake{"lake", digest(1), {"hydro/#"}};
    Integration red{"red", digest(2), {"home/+/reading"}};
    assert_true(snapshot.replace_all({lake, red}).empty());
    assert_non_null(snapshot.find("lake"));
    assert_null(snapshot.find("nobody"));
    Integration rotated = lake;
    rotated.credential_hash = digest(3);
    std::vector<std::string> changed = snapshot.replace_all({rotated});
    std::sort(changed.begin(), changed.end());
    assert_int_equal(changed.size(), 2); // lake rotated, red revoked (gone)
    assert_text_equal(changed[0], "lake");
    assert_text_equal(changed[1], "red");
    assert_true(snapshot.replace_all({rotated}).empty());
}

// Device certificates: found by fingerprint while active, gone with a revocation or the
// device; a session on one ends when it is revoked or expires, and never matches a password.
void certificates_are_found_by_fingerprint_until_revoked_or_expired(void**) {
    auto now = WallClock::now();
    DeviceRecord with_cert = device("pi-1");
    with_cert.certificates.push_back({digest(7), now + 1h});
    DeviceSnapshot snapshot;
    snapshot.replace_all({with_cert, device("pi-2")});
    assert_non_null(snapshot.find_by_certificate(digest(7)));
    assert_string_equal(snapshot.find_by_certificate(digest(7))->id.c_str(), "pi-1");
    assert_null(snapshot.find_by_certificate(digest(1))); // a password hash is no certificate
    Session by_certificate = session_of(with_cert, 7);
    by_certificate.certificate = true;
    assert_true(session_still_valid(snapshot.find("pi-1"), by_certificate, now));
    assert_false(session_still_valid(snapshot.find("pi-1"), by_certificate, now + 2h)); // expired
    assert_false(session_still_valid(snapshot.find("pi-1"), session_of(with_cert, 7), now));

    // Revoked: the reload carries the device without it.
    assert_int_equal(snapshot.update("pi-1", device("pi-1")).size(), 1);
    assert_null(snapshot.find_by_certificate(digest(7)));
    assert_false(session_still_valid(snapshot.find("pi-1"), by_certificate, now));
    // Issued again, then the device goes.
    assert_int_equal(snapshot.update("pi-1", with_cert).size(), 1);
    assert_non_null(snapshot.find_by_certificate(digest(7)));
    snapshot.update("pi-1", std::nullopt);
    assert_null(snapshot.find_by_certificate(digest(7)));
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(certificates_are_found_by_fingerprint_until_revoked_or_expired),
        cmocka_unit_test(first_load_changes_nothing_and_finds_devices),
        cmocka_unit_test(reload_reports_changed_and_removed_devices),
        cmocka_unit_test(update_reports_only_real_changes),
        cmocka_unit_test(previous_credential_is_accepted_only_during_its_grace),
        cmocka_unit_test(sessions_end_when_their_admission_no_longer_holds),
        cmocka_unit_test(device_prefixes_are_indexed_for_admins),
        cmocka_unit_test(integrations_are_named_and_diffed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
