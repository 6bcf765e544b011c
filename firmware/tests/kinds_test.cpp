// The firmware's kind table against the backend's (core/src/device_kinds.cpp): same kinds,
// same prefix roots, and a device subscribes to exactly what the broker lets it receive.
#include "sarang/device_kinds.hpp"
#include "sarang_fw/kinds.hpp"

#include "cmocka.hpp"

#include <set>

namespace {

void every_backend_kind_is_known_to_the_firmware_alike(void**) {
    assert_int_equal(sarang::all_kinds().size(), sarang_fw::all_kinds().size());
    for (const sarang::KindSpec& backend : sarang::all_kinds()) {
        const sarang_fw::KindInfo* firmware = sarang_fw::find_kind(backend.name);
        assert_non_null(firmware);
        assert_text_equal(firmware->prefix_root, backend.prefix_root);
        std::set<std::string_view> receives;
        for (std::string_view subtopic : firmware->receives) {
            if (!subtopic.empty())
                receives.insert(subtopic);
        }
        std::set<std::string_view> allowed(backend.subscribes.begin(), backend.subscribes.end());
        if (receives != allowed)
            print_message("kind %s differs\n", std::string(backend.name).c_str());
        assert_true(receives == allowed);
    }
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(every_backend_kind_is_known_to_the_firmware_alike),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
