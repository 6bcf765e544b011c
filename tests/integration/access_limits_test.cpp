// Failed CONNECTs are limited per client address (this stack allows 5 a minute): past the
// budget even the right credential is refused from that address, cheaply and with the log
// folded, while the broker keeps serving.
#include "mqtt_client.hpp"
#include "stack_env.hpp"

#include <fstream>
#include <sstream>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang::test;

namespace {

constexpr int refused_v5 = 135;

std::string broker_log() {
    std::ifstream log(std::string(std::getenv("SARANG_TEST_STATE")) + "/log/mosquitto.log");
    std::stringstream text;
    text << log.rdbuf();
    return text.str();
}

size_t count_of(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++count;
    return count;
}

void an_address_that_keeps_failing_is_refused_before_any_check(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    for (int attempt = 0; attempt < 5; ++attempt) {
        MqttClient guess(id, 5);
        assert_int_equal(guess.connect(stack_env().mqtt_port, id, "guess"), refused_v5);
    }
    MqttClient right(id, 5);
    assert_int_equal(right.connect(stack_env().mqtt_port, id, password), refused_v5);
    for (int attempt = 0; attempt < 20; ++attempt) {
        MqttClient hammer(id, 5);
        assert_int_equal(hammer.connect(stack_env().mqtt_port, id, "guess"), refused_v5);
    }
    std::string log = broker_log();
    // Five refusals of one username fold into one line a minute; the address gets one line.
    assert_int_equal(count_of(log, "refused " + id + " from"), 1);
    assert_int_equal(count_of(log, "refusing connects from 127.0.0.1"), 1);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(an_address_that_keeps_failing_is_refused_before_any_check),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
