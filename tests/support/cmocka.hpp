#pragma once
// cmocka.h needs these before it.
// clang-format off
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <setjmp.h>
extern "C" { // cmocka 1.1 has no C++ guards of its own
#include <cmocka.h>
}
// clang-format on

#include <string>

// assert_string_equal for std::string and string_view alike.
#define assert_text_equal(a, b) assert_string_equal(std::string(a).c_str(), std::string(b).c_str())
