#pragma once
// What the fuzz targets share: a check that survives NDEBUG (a broken promise must crash the
// fuzzer, not pass silently) and the split of one input into fields.
#include <cstdio>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>

// A property the parser promises; failing it is a finding like a crash.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #condition);   \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
