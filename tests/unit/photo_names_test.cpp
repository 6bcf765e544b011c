// PhotoStore::valid_name decides which file names a media link may open: only names the store
// itself makes, so a request can never reach outside the storage folder.
#include "parcel/photo_store.hpp"

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using sarang::http::PhotoStore;

namespace {

void names_the_store_makes_are_valid(void**) {
    assert_true(PhotoStore::valid_name("package_1_0123456789abcdef.jpg"));
    assert_true(PhotoStore::valid_name("package_1234567890123456_0123456789abcdef_thumb.jpg"));
}

void anything_else_is_refused(void**) {
    for (const char* name : {
             "",
             "package_.jpg",
             "package_1_0123456789abcdef.png",
             "package_1_0123456789ABCDEF.jpg",                 // upper-case hex
             "package_1_0123456789abcde.jpg",                  // 15 hex digits
             "package_1_0123456789abcdef0.jpg",                // 17 hex digits
             "package_12345678901234567_0123456789abcdef.jpg", // 17-digit id
             "package_1_0123456789abcdef_thumb_thumb.jpg",
             "../package_1_0123456789abcdef.jpg",
             "package_1_0123456789abcdef.jpg/..",
             "package_1_0123456789abcdef.jpg\n",
             "package_1_0123456789abcdef_thumbs.jpg",
         })
        if (PhotoStore::valid_name(name))
            fail_msg("accepted '%s'", name);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(names_the_store_makes_are_valid),
        cmocka_unit_test(anything_else_is_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
