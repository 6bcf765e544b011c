// http.trusted_proxies and the client address taken from X-Forwarded-For / Forwarded
// (http-sidecar/src/net/client_address.hpp).
#include "net/client_address.hpp"

#include "cmocka.hpp"

using namespace sarang::http;

namespace {

IpAddress ip(const char* text) {
    std::optional<IpAddress> address = parse_ip(text);
    assert_true(address.has_value());
    return *address;
}

bool refused(const char* list) {
    try {
        TrustedProxies::parse(list);
        return false;
    } catch (const CidrError&) {
        return true;
    }
}

std::string resolve(const char* trusted, const char* peer, const char* header,
                    ForwardedHeader kind = ForwardedHeader::x_forwarded_for) {
    std::string value = header ? header : "";
    return resolve_client_address(TrustedProxies::parse(trusted), kind, peer,
                                  header ? &value : nullptr);
}

void addresses_parse_and_print_back(void**) {
    assert_text_equal(ip("192.0.2.1").text(), "192.0.2.1");
    assert_text_equal(ip("2001:DB8::1").text(), "2001:db8::1");
    // IPv4-mapped is IPv4: one client, one throttle key, on a dual-stack socket or not.
    assert_false(ip("::ffff:192.0.2.1").v6);
    assert_text_equal(ip("::ffff:192.0.2.1").text(), "192.0.2.1");
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:80", "[::1]",
                            "fe80::1%eth0", "::g", " 1.2.3.4", "example.com"})
        assert_false(parse_ip(bad).has_value());
}

void cidrs_match_their_ranges(void**) {
    TrustedProxies proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,fd00::1");
    assert_true(proxies.contains(ip("10.255.1.2")));
    assert_false(proxies.contains(ip("11.0.0.1")));
    assert_true(proxies.contains(ip("192.0.2.7")));
    assert_false(proxies.contains(ip("192.0.2.8")));
    assert_true(proxies.contains(ip("2001:db8:ffff::9")));
    assert_false(proxies.contains(ip("2001:db9::1")));
    assert_true(proxies.contains(ip("fd00::1")));
    assert_false(proxies.contains(ip("fd00::2")));
    assert_true(proxies.contains(ip("::ffff:10.1.1.1"))); // mapped: matched as IPv4
    // A /0 and an odd prefix.
    assert_true(TrustedProxies::parse("0.0.0.0/0").contains(ip("203.0.113.9")));
    assert_false(TrustedProxies::parse("0.0.0.0/0").contains(ip("::1")));
    TrustedProxies odd = TrustedProxies::parse("100.64.0.0/10");
    assert_true(odd.contains(ip("100.127.255.255")));
    assert_false(odd.contains(ip("100.128.0.0")));
    assert_true(TrustedProxies::parse("").empty());
    assert_true(TrustedProxies::parse("  ").empty());
}

void bad_lists_are_refused_with_a_reason(void**) {
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                            "10.0.0.1/8", "10.0.0.0/8,,", ",10.0.0.0/8", "localhost", "10.0.0.0 /8",
                            "10.0.0.0/0008", "2001:db8::1/32"})
        assert_true(refused(bad));
    try {
        TrustedProxies::parse("10.0.0.0/8, 10.1.2.3/8");
        fail();
    } catch (const CidrError& error) {
        // Names the entry and suggests the network.
        assert_non_null(std::strstr(error.what(), "10.1.2.3/8"));
        assert_non_null(std::strstr(error.what(), "10.0.0.0/8"));
    }
}

void headers_count_only_from_a_trusted_peer(void**) {
    // No trusted proxies, or a peer that is not one: the header changes nothing.
    assert_text_equal(resolve("", "127.0.0.1", "203.0.113.5"), "127.0.0.1");
    assert_text_equal(resolve("10.0.0.0/8", "192.0.2.1", "203.0.113.5"), "192.0.2.1");
    assert_text_equal(resolve("10.0.0.0/8", "::ffff:192.0.2.1", nullptr), "192.0.2.1");
    // From a trusted peer: the right-most address that is not a trusted proxy.
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "203.0.113.5"), "203.0.113.5");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "1.1.1.1, 203.0.113.5, 10.9.9.9"),
                      "203.0.113.5"); // the client wrote 1.1.1.1 itself: ignored
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "2001:db8::7"), "2001:db8::7");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "[2001:db8::7]:4711, 192.0.2.9:80"),
                      "192.0.2.9");
    // Every hop trusted: the left-most. None at all: the peer.
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "10.1.1.1, 10.2.2.2"), "10.1.1.1");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", nullptr), "10.0.0.2");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", ""), "10.0.0.2");
    // Garbage ends the walk at the hop that wrote it.
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "203.0.113.5, unknown"), "10.0.0.2");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "garbage, 10.3.3.3"), "10.3.3.3");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "1.2.3.4\"; x"), "10.0.0.2");
}

void forwarded_is_read_when_configured(void**) {
    auto fwd = ForwardedHeader::forwarded;
    assert_text_equal(
        resolve("10.0.0.0/8", "10.0.0.2",
                R"(for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711")",
                fwd),
        "2001:db8:cafe::17");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "for=198.51.100.1, for=10.4.4.4", fwd),
                      "198.51.100.1");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "for=_hidden", fwd), "10.0.0.2");
    assert_text_equal(resolve("10.0.0.0/8", "10.0.0.2", "proto=https", fwd), "10.0.0.2");
    assert_text_equal(resolve("", "10.0.0.2", "for=198.51.100.1", fwd), "10.0.0.2");
    assert_true(parse_forwarded_header("X-Forwarded-For") == ForwardedHeader::x_forwarded_for);
    assert_true(parse_forwarded_header("forwarded") == ForwardedHeader::forwarded);
    try {
        parse_forwarded_header("x-real-ip");
        fail();
    } catch (const CidrError&) {
    }
}

void https_is_believed_from_a_trusted_proxy_only(void**) {
    TrustedProxies proxies = TrustedProxies::parse("10.0.0.0/8");
    std::string https = "https", http = "http",
                fwd = "for=1.2.3.4;proto=http, for=5.6.7.8;proto=https";
    assert_true(forwarded_https(proxies, "10.0.0.2", &https, nullptr));
    assert_false(forwarded_https(proxies, "10.0.0.2", &http, nullptr));
    assert_false(forwarded_https(proxies, "192.0.2.1", &https, nullptr));
    assert_true(forwarded_https(proxies, "10.0.0.2", nullptr, &fwd));
    assert_false(forwarded_https(proxies, "10.0.0.2", nullptr, nullptr));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(addresses_parse_and_print_back),
        cmocka_unit_test(cidrs_match_their_ranges),
        cmocka_unit_test(bad_lists_are_refused_with_a_reason),
        cmocka_unit_test(headers_count_only_from_a_trusted_peer),
        cmocka_unit_test(forwarded_is_read_when_configured),
        cmocka_unit_test(https_is_believed_from_a_trusted_proxy_only),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
