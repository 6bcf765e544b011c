// Failed CONNECTs are limited per client address (this stack allows 5 a minute), but only for
// names that are no identity here: every client of this test shares 127.0.0.1, like devices
// behind HAProxy in TCP mode or a carrier-grade NAT, and a hostile one must not lock the others
// out. Refusals stay cheap and their log folded while the broker keeps serving.
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

// A hostile client on the shared address guesses a real device's credential, then floods with
// names that do not exist. The device keeps connecting with its own credential throughout.
void a_hostile_client_on_a_shared_address_does_not_lock_out_the_others(void**) {
    std::string id = unique_id("pi");
    std::string password = create_device(id);
    for (int attempt = 0; attempt < 20; ++attempt) {
        MqttClient guess(id, 5);
        assert_int_equal(guess.connect(stack_env().mqtt_port, id, "guess"), refused_v5);
    }
    {
        MqttClient right(id, 5);
        assert_int_equal(right.connect(stack_env().mqtt_port, id, password), 0);
    }
    // Names that exist nowhere use up the address's budget (5), then are refused unchecked ...
    for (int attempt = 0; attempt < 20; ++attempt) {
        MqttClient ghost("integration:nosuch", 5);
        assert_int_equal(ghost.connect(stack_env().mqtt_port, "integration:nosuch", "guess"),
                         refused_v5);
    }
    // ... but a device with its credential still gets in, and a wrong one is still refused.
    {
        MqttClient right(id, 5);
        assert_int_equal(right.connect(stack_env().mqtt_port, id, password), 0);
    }
    MqttClient wrong(id, 5);
    assert_int_equal(wrong.connect(stack_env().mqtt_port, id, "guess"), refused_v5);
    std::string log = broker_log();
    // Twenty-one refusals of one username fold into one line a minute; the address gets one line.
    assert_int_equal(count_of(log, "refused " + id + " from"), 1);
    assert_int_equal(count_of(log, "refusing connects from 127.0.0.1"), 1);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(a_hostile_client_on_a_shared_address_does_not_lock_out_the_others),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
