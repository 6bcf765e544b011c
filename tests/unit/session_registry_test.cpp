#include "session_registry.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::access;

namespace {

// Stand-ins for the broker's connection pointers: only their identity matters.
int connections[3];
const void* const a = &connections[0];
const void* const b = &connections[1];
const void* const unknown = &connections[2];

Session session(const char* device) {
    return {device, device, {}, "hydro-sensor", "hydro/x"};
}

void connect_then_disconnect_goes_online_then_offline(void**) {
    SessionRegistry registry;
    assert_true(registry.opened(a, session("pi-1")).now_online);
    assert_int_equal(registry.online_device_count(), 1);
    std::optional<std::string> offline = registry.closed(a);
    assert_true(offline.has_value());
    assert_text_equal(*offline, "pi-1");
    assert_int_equal(registry.online_device_count(), 0);
}

void takeover_never_marks_the_device_offline(void**) {
    // The broker admits the new connection before it disconnects the old one.
    SessionRegistry registry;
    assert_true(registry.opened(a, session("pi-1")).now_online);
    assert_false(registry.opened(b, session("pi-1")).now_online); // already online: no event
    assert_false(registry.closed(a).has_value()); // old connection goes: still online
    assert_int_equal(registry.online_device_count(), 1);
    assert_int_equal(registry.connections_of("pi-1").size(), 1);
    assert_true(registry.closed(b).has_value());
}

void duplicate_and_unknown_disconnects_are_ignored(void**) {
    SessionRegistry registry;
    assert_false(registry.closed(unknown).has_value()); // failed auth: never admitted
    registry.opened(a, session("pi-1"));
    assert_true(registry.closed(a).has_value());
    assert_false(registry.closed(a).has_value()); // durable session's second DISCONNECT
}

void reauthentication_of_a_live_connection_changes_no_presence(void**) {
    // SIGHUP makes the broker run BASIC_AUTH again for every session.
    SessionRegistry registry;
    assert_true(registry.opened(a, session("pi-1")).now_online);
    assert_false(registry.opened(a, session("pi-1")).now_online);
    assert_int_equal(registry.connection_count(), 1);
    assert_true(registry.closed(a).has_value());
}

void previous_credential_connections_are_tracked_until_they_close(void**) {
    SessionRegistry registry;
    registry.opened(a, session("pi-1"));
    registry.mark_previous_credential(a, true);
    assert_int_equal(registry.on_previous_credential().size(), 1);
    registry.mark_previous_credential(a, false);
    assert_int_equal(registry.on_previous_credential().size(), 0);
    registry.mark_previous_credential(a, true);
    registry.closed(a);
    assert_int_equal(registry.on_previous_credential().size(), 0);
    registry.mark_previous_credential(unknown, true); // not admitted: not tracked
    assert_int_equal(registry.on_previous_credential().size(), 0);
}

void closed_sessions_stay_findable_until_the_tick(void**) {
    // mosquitto checks a will against the ACL after the DISCONNECT event.
    SessionRegistry registry;
    registry.opened(a, session("pi-1"));
    registry.closed(a);
    assert_non_null(registry.find(a));
    assert_int_equal(registry.online_device_count(), 0);
    assert_non_null(registry.acl_entry(a)); // the will's ACL check needs it
    registry.forget_closed();
    assert_null(registry.find(a));
    assert_null(registry.acl_entry(a));
}

void acl_entries_follow_admission(void**) {
    SessionRegistry registry;
    Session first = session("pi-1");
    first.kind = sarang::find_kind("hydro-sensor");
    registry.opened(a, first);
    const SessionRegistry::AclEntry* entry = registry.acl_entry(a);
    assert_non_null(entry);
    assert_ptr_equal(entry->kind, sarang::find_kind("hydro-sensor"));
    assert_text_equal(entry->topic_prefix, "hydro/x");
    assert_null(registry.acl_entry(b));
    registry.opened(a, session("pi-2")); // a reused pointer: the new device's entry
    assert_null(registry.acl_entry(a)->kind);
}

void a_reused_pointer_closes_its_previous_device(void**) {
    SessionRegistry registry;
    registry.opened(a, session("pi-1"));
    SessionRegistry::Opened opened = registry.opened(a, session("pi-2"));
    assert_true(opened.now_online);
    assert_true(opened.went_offline.has_value());
    assert_text_equal(*opened.went_offline, "pi-1");
    assert_text_equal(registry.find(a)->device_id, "pi-2");
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(connect_then_disconnect_goes_online_then_offline),
        cmocka_unit_test(takeover_never_marks_the_device_offline),
        cmocka_unit_test(duplicate_and_unknown_disconnects_are_ignored),
        cmocka_unit_test(reauthentication_of_a_live_connection_changes_no_presence),
        cmocka_unit_test(previous_credential_connections_are_tracked_until_they_close),
        cmocka_unit_test(closed_sessions_stay_findable_until_the_tick),
        cmocka_unit_test(a_reused_pointer_closes_its_previous_device),
        cmocka_unit_test(acl_entries_follow_admission),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
