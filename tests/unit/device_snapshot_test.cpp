#include "device_snapshot.hpp"

#include <algorithm>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::access;

namespace {

DeviceRecord device(const char* id, std::uint8_t secret = 1, const char* state = "registered") {
    DeviceRecord record;
    record.id = id;
    record.kind_name = "hydro-sensor";
    record.kind = find_kind(record.kind_name);
    record.topic_prefix = std::string("hydro/") + id;
    record.state = state;
    crypto::Digest hash{};
    hash[0] = secret;
    record.credential_hash = hash;
    return record;
}

void first_load_kicks_nobody(void**) {
    DeviceSnapshot snapshot;
    assert_false(snapshot.loaded());
    assert_true(snapshot.replace_all({device("pi-1"), device("pi-2")}).empty());
    assert_true(snapshot.loaded());
    assert_int_equal(snapshot.size(), 2);
    assert_non_null(snapshot.find("pi-1"));
    assert_null(snapshot.find("pi-3"));
}

void reload_kicks_removed_revoked_and_rotated_devices(void**) {
    DeviceSnapshot snapshot;
    snapshot.replace_all({device("keep"), device("gone"), device("revoke"), device("rotate")});
    std::vector<std::string> kicked = snapshot.replace_all(
        {device("keep"), device("revoke", 1, "revoked"), device("rotate", 2), device("new")});
    std::sort(kicked.begin(), kicked.end());
    assert_int_equal(kicked.size(), 3);
    assert_text_equal(kicked[0], "gone");
    assert_text_equal(kicked[1], "revoke");
    assert_text_equal(kicked[2], "rotate");
    assert_null(snapshot.find("gone"));
    assert_true(snapshot.find("revoke")->revoked());
}

void update_kicks_only_when_access_changes(void**) {
    DeviceSnapshot snapshot;
    snapshot.replace_all({device("pi-1")});
    DeviceRecord renamed_state = device("pi-1", 1, "claimed");
    assert_true(snapshot.update("pi-1", renamed_state).empty());
    DeviceRecord moved = device("pi-1");
    moved.topic_prefix = "hydro/elsewhere";
    assert_int_equal(snapshot.update("pi-1", moved).size(), 1);
    assert_int_equal(snapshot.update("pi-1", device("pi-1", 9)).size(), 1);
    assert_int_equal(snapshot.update("pi-1", std::nullopt).size(), 1);
    assert_null(snapshot.find("pi-1"));
    assert_true(snapshot.update("never-seen", std::nullopt).empty());
    assert_true(snapshot.update("pi-9", device("pi-9")).empty());
    assert_non_null(snapshot.find("pi-9"));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(first_load_kicks_nobody),
        cmocka_unit_test(reload_kicks_removed_revoked_and_rotated_devices),
        cmocka_unit_test(update_kicks_only_when_access_changes),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
