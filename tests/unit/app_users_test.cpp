#include "app_users.hpp"
#include "sarang/topic_rules.hpp"
#include "test_digests.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::access;
using sarang::test::digest;
using namespace std::chrono_literals;

namespace {

AppUser user(long long id, const char* name, std::vector<AppSession> sessions) {
    return {id, name, std::move(sessions)};
}

void only_live_sessions_of_the_user_open_it(void**) {
    auto now = WallClock::now();
    AppUser alice = user(1, "alice", {{digest(1), now + 1h}, {digest(2), now - 1s}});
    assert_true(app_session_valid(&alice, digest(1), now));
    assert_false(app_session_valid(&alice, digest(2), now)); // expired
    assert_false(app_session_valid(&alice, digest(3), now));
    assert_false(app_session_valid(nullptr, digest(1), now));
    assert_false(app_session_valid(&alice, digest(1), now + 2h));
}

void snapshot_finds_by_name_and_id_and_reports_changes(void**) {
    auto later = WallClock::now() + 1h;
    AppUserSnapshot users;
    assert_true(
        users.replace_all({user(1, "alice", {{digest(1), later}}), user(2, "bob", {})}).empty());
    assert_non_null(users.find("alice"));
    assert_non_null(users.find(2LL));
    assert_null(users.find("carol"));
    std::vector<long long> changed = users.update(1, user(1, "alice", {}));
    assert_int_equal(changed.size(), 1);
    assert_true(users.update(2, user(2, "bob", {})).empty());
    assert_int_equal(users.update(2, std::nullopt).size(), 1);
    assert_null(users.find("bob"));
    users.update(1, user(1, "alice2", {})); // renamed: the old name no longer finds it
    assert_null(users.find("alice"));
    assert_non_null(users.find("alice2"));
}

void owners_read_only_their_devices_topics(void**) {
    std::vector<std::string> owned{"hydro/pi-1", "vm/VM01"};
    assert_true(owner_may(owned, Access::read, "hydro/pi-1/reading"));
    assert_true(owner_may(owned, Access::read, "vm/VM01/dispense_result"));
    assert_false(owner_may(owned, Access::read, "hydro/pi-10/reading"));
    assert_true(owner_may(owned, Access::subscribe, "hydro/pi-1/#"));
    assert_true(owner_may(owned, Access::subscribe, "hydro/pi-1"));
    assert_true(owner_may(owned, Access::subscribe, "$share/app/vm/VM01/+"));
    assert_false(owner_may(owned, Access::subscribe, "hydro/#"));
    assert_false(owner_may(owned, Access::subscribe, "hydro/+/reading"));
    assert_false(owner_may(owned, Access::subscribe, "#"));
    assert_false(owner_may(owned, Access::write, "hydro/pi-1/config"));
    assert_true(owner_may(owned, Access::unsubscribe, "#"));
    assert_false(owner_may({}, Access::read, "hydro/pi-1/reading"));
}

void the_device_snapshot_indexes_owners(void**) {
    auto device = [](const char* id, std::optional<long long> owner) {
        DeviceRecord record;
        record.id = id;
        record.kind_name = "hydro-sensor";
        record.kind = find_kind(record.kind_name);
        record.topic_prefix = std::string("hydro/") + id;
        record.state = "claimed";
        record.owner_id = owner;
        return record;
    };
    DeviceSnapshot devices;
    devices.replace_all({device("pi-1", 7), device("pi-2", 7), device("pi-3", std::nullopt)});
    assert_int_equal(devices.prefixes_owned_by(7).size(), 2);
    devices.update("pi-2", device("pi-2", 8));
    assert_int_equal(devices.prefixes_owned_by(7).size(), 1);
    assert_text_equal(devices.prefixes_owned_by(8).front(), "hydro/pi-2");
    devices.update("pi-1", std::nullopt);
    assert_true(devices.prefixes_owned_by(7).empty());
    DeviceRecord revoked = device("pi-3", 9);
    revoked.state = "revoked";
    devices.update("pi-3", revoked);
    assert_true(devices.prefixes_owned_by(9).empty()); // revoked devices are nobody's to read
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(only_live_sessions_of_the_user_open_it),
        cmocka_unit_test(snapshot_finds_by_name_and_id_and_reports_changes),
        cmocka_unit_test(owners_read_only_their_devices_topics),
        cmocka_unit_test(the_device_snapshot_indexes_owners),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
