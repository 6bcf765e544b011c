// sarang.conf text and environment overrides: either a ConfigError naming the problem or a
// config whose settings read back with their types.
#include "fuzz_support.hpp"
#include "sarang/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider input(data, size);
    std::string env_value = input.ConsumeRandomLengthString(24);
    std::string text = input.ConsumeRemainingBytesAsString();
    // One override, as SARANG_HTTP_PORT=... in the environment would set it.
    auto env = [&](const char* name) -> const char* {
        return std::string_view(name) == "SARANG_HTTP_PORT" ? env_value.c_str() : nullptr;
    };
    try {
        sarang::Config config = sarang::Config::parse(text, "fuzz.conf", env);
        for (const char* key : {"http.port", "http.threads", "telemetry.batch_max"}) {
            long value = config.integer(key);
            FUZZ_CHECK(config.integer_in(key, value, value) == value);
        }
        config.boolean("auth.allow_registration");
        config.string("http.bind");
        if (config.has("db.dsn"))
            config.string("db.dsn");
    } catch (const sarang::ConfigError& error) {
        FUZZ_CHECK(error.what()[0] != '\0');
    }
    return 0;
}
