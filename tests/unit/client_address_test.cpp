// http.trusted_proxies and the client address taken from X-Forwarded-For / Forwarded
// (http-sidecar/src/net/client_address.hpp).
#include "net/client_address.hpp"
#include "net/proxy_protocol.hpp"

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

ProxyParse proxy(std::string_view bytes, ProxyHeader& header) {
    return parse_proxy_header(bytes, header);
}

void proxy_protocol_v1_names_the_source(void**) {
    ProxyHeader header;
    std::string line = "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\nGET / HTTP/1.1\r\n";
    assert_true(proxy(line, header) == ProxyParse::done);
    assert_int_equal(header.length, line.find("GET"));
    assert_true(header.has_source);
    assert_text_equal(header.source.text(), "203.0.113.7");
    assert_int_equal(header.source_port, 56324);
    assert_true(proxy("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", header) == ProxyParse::done);
    assert_text_equal(header.source.text(), "2001:db8::1");
    assert_true(proxy("PROXY UNKNOWN ffff::1 whatever\r\n", header) == ProxyParse::done);
    assert_false(header.has_source);
    // Every prefix of a valid line asks for more; nothing is taken before the CRLF.
    for (std::size_t size = 0; size < line.find("\r\n") + 1; ++size)
        assert_true(proxy(line.substr(0, size), header) == ProxyParse::need_more);
    for (const char* bad :
         {"GET / HTTP/1.1\r\n", "PROXY TCP4 203.0.113.7 10.0.0.1 56324\r\n",
          "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n", "PROXY TCP6 203.0.113.7 2001:db8::2 1 2\r\n",
          "PROXY TCP4 203.0.113.7 10.0.0.1 65536 1\r\n", "PROXY TCP4 203.0.113.7 10.0.0.1 01 1\r\n",
          "PROXY TCP4  203.0.113.7 10.0.0.1 1 1\r\n", "PROXY UDP4 203.0.113.7 10.0.0.1 1 1\r\n"})
        assert_true(proxy(bad, header) == ProxyParse::invalid);
    assert_true(proxy("PROXY " + std::string(200, 'x'), header) == ProxyParse::invalid);
}

std::string v2(std::uint8_t command, std::uint8_t family, std::string addresses) {
    std::string bytes("\r\n\r\n\0\r\nQUIT\n", 12);
    bytes += static_cast<char>(0x20 | command);
    bytes += static_cast<char>(family);
    bytes += static_cast<char>(addresses.size() >> 8);
    bytes += static_cast<char>(addresses.size() & 0xff);
    return bytes + addresses;
}

void proxy_protocol_v2_names_the_source(void**) {
    ProxyHeader header;
    std::string v4 =
        v2(1, 0x11, std::string("\xcb\x00\x71\x07\x0a\x00\x00\x01\xdc\x04\x01\xbb", 12));
    assert_true(proxy(v4 + "GET", header) == ProxyParse::done);
    assert_int_equal(header.length, 28);
    assert_text_equal(header.source.text(), "203.0.113.7");
    assert_int_equal(header.source_port, 56324);
    std::string address6(36, '\0');
    address6[0] = '\x20', address6[1] = '\x01', address6[2] = '\x0d', address6[3] = '\xb8',
    address6[15] = '\x09';
    assert_true(proxy(v2(1, 0x21, address6), header) == ProxyParse::done);
    assert_text_equal(header.source.text(), "2001:db8::9");
    // LOCAL (a health check) and TLVs after the addresses.
    assert_true(proxy(v2(0, 0x00, ""), header) == ProxyParse::done);
    assert_false(header.has_source);
    assert_true(proxy(v2(1, 0x11, v4.substr(16) + std::string("\x04\x00\x01\x00", 4)), header) ==
                ProxyParse::done);
    assert_int_equal(header.length, 32);
    for (std::size_t size = 0; size < v4.size(); ++size)
        assert_true(proxy(v4.substr(0, size), header) == ProxyParse::need_more);
    assert_true(proxy(v2(2, 0x11, v4.substr(16)), header) == ProxyParse::invalid); // command
    assert_true(proxy(v2(1, 0x11, "short"), header) == ProxyParse::invalid);       // length
    assert_true(proxy(v2(1, 0x21, v4.substr(16)), header) == ProxyParse::invalid); // v6 too short
    std::string v3 = v4;
    v3[12] = '\x31';
    assert_true(proxy(v3, header) == ProxyParse::invalid); // version
    assert_true(proxy(v2(1, 0x11, std::string(300, 'x')), header) == ProxyParse::invalid);
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
        cmocka_unit_test(proxy_protocol_v1_names_the_source),
        cmocka_unit_test(proxy_protocol_v2_names_the_source),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
