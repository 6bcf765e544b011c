// TLS on MQTT and HTTPS (docs/tls.md), against a stack whose certificates `sarangctl tls init`
// made (with_stack.sh): Debian's mosquitto_pub and curl and the firmware core's host transport
// connect when they trust the stack's CA; a wrong CA, an expired server certificate, plain MQTT
// on the TLS port and plain HTTP on the HTTPS port are refused; plain HTTP elsewhere only
// redirects; a certificate replaced and reloaded with SIGHUP keeps open connections.
#include "mqtt_client.hpp"
#include "sarang/x509.hpp"
#include "stack_env.hpp"
#include "tls_client.hpp"

#include "../../firmware/host/mosquitto_transport.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) {
        std::fprintf(stderr, "%s is not set: run this under with_stack.sh\n", name);
        std::abort();
    }
    return value;
}

const std::string& tls_dir() {
    static const std::string dir = env("SARANG_TEST_TLS_DIR");
    return dir;
}
int mqtts_port() {
    return std::stoi(env("SARANG_TEST_MQTTS_PORT"));
}
int https_port() {
    return std::stoi(env("SARANG_TEST_HTTPS_PORT"));
}

struct Run {
    int status = -1;
    std::string output; // stdout and stderr
};

Run run(const std::string& command) {
    Run result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr)
        return result;
    char buffer[1024];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        result.output.append(buffer, got);
    int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// Polls `check` until it holds or `timeout` passes; its last answer.
template <typename Check> bool eventually(Check check, std::chrono::milliseconds timeout = 10s) {
    for (auto deadline = std::chrono::steady_clock::now() + timeout;;) {
        if (check())
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(50ms);
    }
}

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

// A CA the stack has never seen.
const std::string& foreign_ca_file() {
    static const std::string path = [] {
        std::string file = std::string(env("SARANG_TEST_STATE")) + "/foreign-ca.crt";
        x509::Authority other = x509::make_authority("Not Sarang", x509::Validity::days(1));
        write_file(file, x509::to_pem(other.certificate.get()));
        return file;
    }();
    return path;
}

Run mosquitto_pub(const std::string& device, const std::string& password,
                  const std::string& ca_file, const std::string& message) {
    return run("mosquitto_pub -h localhost -p " + std::to_string(mqtts_port()) + " --cafile " +
               ca_file + " -i " + device + " -u " + device + " -P " + password + " -q 1 -t hydro/" +
               device + "/reading -m '" + message + "'");
}

Run curl(const std::string& arguments) {
    return run("curl -sS -m 5 " + arguments);
}

// A reader of every device's readings over plain MQTT on loopback (an integration identity).
std::unique_ptr<MqttClient> hydro_reader() {
    std::string name = unique_id("tls-reader");
    std::string output;
    assert_int_equal(
        run_sarangctl("integrations create " + name + " --read 'hydro/#' --json", output), 0);
    std::string password = password_from_json(output);
    auto reader = std::make_unique<MqttClient>("integration:" + name);
    assert_int_equal(reader->connect(stack_env().mqtt_port, "integration:" + name, password), 0);
    assert_int_equal(reader->subscribe("hydro/#"), 1);
    return reader;
}

// The firmware core's transport, connected over TLS as a device; polled until up or lost.
struct TlsDevice {
    std::string id;
    sarang_fw::host::MosquittoTransport transport;

    TlsDevice(std::string device_id, const std::string& ca_file)
        : id(std::move(device_id)), transport(sarang_fw::host::TlsOptions{ca_file, "", ""}) {}

    // True once connected; false when the connection failed or 10 s passed.
    bool connect(const std::string& password) {
        sarang_fw::MqttSession session;
        session.host = "localhost";
        session.port = mqtts_port();
        session.client_id = id;
        session.username = id;
        session.password = password;
        if (!transport.connect(session))
            return false;
        eventually([&] {
            transport.poll();
            return transport.connected() || transport.lost();
        });
        return transport.connected();
    }
    // A QoS 1 reading the broker acknowledged.
    bool publish_acknowledged(const std::string& payload) {
        if (transport.publish("hydro/" + id + "/reading", payload, 1) < 0)
            return false;
        return eventually([&] {
            transport.poll();
            return transport.unacknowledged() == 0;
        });
    }
};

std::string served_fingerprint(int port) {
    Run served = run("openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                     " -servername localhost </dev/null 2>/dev/null | openssl x509 -noout "
                     "-fingerprint -sha256");
    std::size_t equals = served.output.find('=');
    if (equals == std::string::npos)
        return "";
    std::string fingerprint = served.output.substr(equals + 1);
    while (!fingerprint.empty() && std::isspace(static_cast<unsigned char>(fingerprint.back())))
        fingerprint.pop_back();
    return fingerprint;
}

void signal_stack(int signal) {
    for (const char* name : {"mosquitto", "httpd"}) {
        std::string pidfile = env("SARANG_TEST_STATE") + "/run/" + name + ".pid";
        pid_t pid = static_cast<pid_t>(std::stol(read_file(pidfile)));
        assert_int_equal(kill(pid, signal), 0);
    }
}

// Replaces the stack's server certificate and key the way an operator does (atomic renames).
void install_server_certificate(const std::string& cert_pem, const std::string& key_pem) {
    std::string dir = tls_dir();
    write_file(dir + "/incoming.crt", cert_pem);
    write_file(dir + "/incoming.key", key_pem);
    std::string output;
    assert_int_equal(run_sarangctl("tls install --dir " + dir + " --cert " + dir +
                                       "/incoming.crt --key " + dir + "/incoming.key",
                                   output),
                     0);
    // The broker reads the key as the mosquitto user (with_stack.sh runs as root).
    if (geteuid() == 0)
        run("chgrp mosquitto " + dir + "/server.key");
}

void debian_clients_connect_when_they_trust_the_ca(void**) {
    std::unique_ptr<MqttClient> reader = hydro_reader();
    std::string id = unique_id("tls-pub");
    std::string password = create_device(id);
    Run published = mosquitto_pub(id, password, tls_dir() + "/ca.crt", R"({"ph":6.5})");
    assert_int_equal(published.status, 0);
    assert_true(reader->wait_message("hydro/" + id + "/reading", 5s));

    Run https = curl("-D - -o /dev/null --cacert " + tls_dir() +
                     "/ca.crt https://localhost:" + std::to_string(https_port()) + "/healthz");
    assert_int_equal(https.status, 0);
    assert_non_null(std::strstr(https.output.c_str(), "HTTP/1.1 200"));
    assert_non_null(
        std::strstr(https.output.c_str(), "Strict-Transport-Security: max-age=31536000"));
    // By IP address too (the certificate names 127.0.0.1).
    assert_int_equal(curl("-o /dev/null --cacert " + tls_dir() +
                          "/ca.crt https://127.0.0.1:" + std::to_string(https_port()) + "/healthz")
                         .status,
                     0);
    // Plain HTTP on loopback serves the API without HSTS (it would mean nothing there).
    Run plain = curl("-D - -o /dev/null http://127.0.0.1:" + std::to_string(stack_env().http_port) +
                     "/healthz");
    assert_non_null(std::strstr(plain.output.c_str(), "HTTP/1.1 200"));
    assert_null(std::strstr(plain.output.c_str(), "Strict-Transport-Security"));
}

void plain_http_listener_only_redirects(void**) {
    std::string port = env("SARANG_TEST_HTTP_REDIRECT_PORT");
    Run redirected = curl("-D - -o /dev/null 'http://127.0.0.1:" + port + "/api/v1/devices?x=1'");
    assert_non_null(std::strstr(redirected.output.c_str(), "HTTP/1.1 308"));
    // http.public_url is the loopback plain URL in tests, so the Host decides: same path and
    // query on the HTTPS port.
    std::string location =
        "Location: https://127.0.0.1:" + std::to_string(https_port()) + "/api/v1/devices?x=1";
    assert_non_null(std::strstr(redirected.output.c_str(), location.c_str()));
    // A POST with a body is not served either.
    Run posted =
        curl("-D - -o /dev/null -X POST -d '{\"username\":\"a\"}' http://127.0.0.1:" + port +
             "/api/auth/login");
    assert_non_null(std::strstr(posted.output.c_str(), "HTTP/1.1 308"));
    // A Host that is not a host name gets no redirect to it.
    Run bad_host =
        curl("-D - -o /dev/null -H 'Host: evil.example/x' http://127.0.0.1:" + port + "/");
    assert_non_null(std::strstr(bad_host.output.c_str(), "HTTP/1.1 400"));
}

void firmware_transport_connects_over_tls(void**) {
    std::unique_ptr<MqttClient> reader = hydro_reader();
    std::string id = unique_id("tls-fw");
    TlsDevice device(id, tls_dir() + "/ca.crt");
    assert_true(device.connect(create_device(id)));
    assert_true(device.publish_acknowledged(R"({"tds":400})"));
    assert_true(reader->wait_message("hydro/" + id + "/reading", 5s));
}

void wrong_ca_and_plain_text_are_refused(void**) {
    std::string id = unique_id("tls-refused");
    std::string password = create_device(id);
    Run published = mosquitto_pub(id, password, foreign_ca_file(), "{}");
    assert_int_not_equal(published.status, 0);
    TlsDevice device(id, foreign_ca_file());
    assert_false(device.connect(password));
    assert_true(device.transport.lost());

    Run https = curl("-o /dev/null --cacert " + foreign_ca_file() +
                     " https://localhost:" + std::to_string(https_port()) + "/healthz");
    assert_int_equal(https.status, 60); // peer certificate cannot be authenticated
    // Plain MQTT on the TLS port gets no CONNACK; plain HTTP on the HTTPS port no answer.
    MqttClient plain(id);
    assert_int_equal(plain.connect(mqtts_port(), id, password, 3s), no_answer);
    Run http =
        curl("-o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(https_port()) +
             "/healthz");
    assert_int_not_equal(http.status, 0);
    assert_null(std::strstr(http.output.c_str(), "200"));
}

// A sidecar configured for plain HTTP beyond loopback does not start.
void plain_http_off_loopback_does_not_start(void**) {
    std::istringstream stack_config(read_file(stack_env().config_path));
    std::string config;
    for (std::string line; std::getline(stack_config, line);) {
        if (!line.starts_with("http."))
            config += line + "\n";
    }
    std::string path = env("SARANG_TEST_STATE") + "/open-plain.conf";
    write_file(path, config + "http.bind = 0.0.0.0\nhttp.port = 0\n");
    Run refused = run(env("SARANG_BUILD") + "/http-sidecar/sarang-httpd --config " + path);
    assert_int_equal(refused.status, 1);
    assert_non_null(
        std::strstr(refused.output.c_str(), "would serve plain HTTP beyond this machine"));
}

// SIGHUP: mosquitto 2.0.11 loads its listeners' certificate files again, sarang-httpd its
// certificate; sessions already open keep theirs (an MQTT device and an HTTPS keep-alive
// connection here). An expired certificate is served by
// mosquitto (and refused by clients) but not taken by the sidecar, which keeps the old one.
void reload_on_sighup_keeps_connections(void**) {
    std::unique_ptr<MqttClient> reader = hydro_reader();
    std::string kept_id = unique_id("tls-kept");
    TlsDevice kept(kept_id, tls_dir() + "/ca.crt");
    assert_true(kept.connect(create_device(kept_id)));
    std::string probe_id = unique_id("tls-probe");
    std::string probe_password = create_device(probe_id);
    TlsConnection browser(https_port(), tls_dir() + "/ca.crt");
    auto get_ok = [&browser](const char* path) {
        return browser.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n") &&
               browser.read_answer().starts_with("HTTP/1.1 200");
    };
    assert_true(get_ok("/healthz"));
    std::string original = read_file(tls_dir() + "/server.crt");
    std::string original_key = read_file(tls_dir() + "/server.key");
    std::string original_fingerprint =
        x509::fingerprint_sha256(x509::certificate_from_pem(original).get());

    // An expired certificate from the same CA.
    x509::Authority ca = x509::authority_from_pem(read_file(tls_dir() + "/ca.crt"),
                                                  read_file(tls_dir() + "/ca.key"));
    x509::Key expired_key = x509::generate_key();
    x509::Certificate expired = x509::issue_server(
        ca, expired_key.get(), {{"localhost"}, {"127.0.0.1"}}, {-2 * 86400, -86400});
    // tls install refuses it, so it goes in by hand.
    write_file(tls_dir() + "/incoming.crt", x509::to_pem(expired.get()));
    write_file(tls_dir() + "/incoming.key", x509::private_key_pem(expired_key.get()));
    std::string output;
    assert_int_not_equal(run_sarangctl("tls install --dir " + tls_dir() + " --cert " + tls_dir() +
                                           "/incoming.crt --key " + tls_dir() + "/incoming.key",
                                       output),
                         0);
    assert_int_equal(
        rename((tls_dir() + "/incoming.crt").c_str(), (tls_dir() + "/server.crt").c_str()), 0);
    assert_int_equal(
        rename((tls_dir() + "/incoming.key").c_str(), (tls_dir() + "/server.key").c_str()), 0);
    if (geteuid() == 0)
        run("chgrp mosquitto " + tls_dir() + "/server.key");
    signal_stack(SIGHUP);
    // New MQTT handshakes meet the expired certificate and give up.
    assert_true(eventually([&] {
        return mosquitto_pub(probe_id, probe_password, tls_dir() + "/ca.crt", "{}").status != 0;
    }));
    assert_true(eventually([&] {
        return served_fingerprint(mqtts_port()) == x509::fingerprint_sha256(expired.get());
    }));
    // The sidecar kept its certificate and says why.
    assert_true(eventually([&] {
        return read_file(env("SARANG_TEST_STATE") + "/log/httpd.log")
                   .find("certificate not reloaded") != std::string::npos;
    }));
    assert_text_equal(served_fingerprint(https_port()), original_fingerprint);
    // The device connected before is still connected and acknowledged.
    assert_true(kept.transport.connected());
    assert_true(kept.publish_acknowledged(R"({"ph":7.1})"));
    assert_true(reader->wait_message("hydro/" + kept_id + "/reading", 5s));

    // A fresh certificate through tls install: both servers present it after SIGHUP.
    x509::Key fresh_key = x509::generate_key();
    x509::Certificate fresh = x509::issue_server(
        ca, fresh_key.get(), {{"localhost"}, {"127.0.0.1"}}, x509::Validity::days(2));
    install_server_certificate(x509::to_pem(fresh.get()), x509::private_key_pem(fresh_key.get()));
    signal_stack(SIGHUP);
    std::string fresh_fingerprint = x509::fingerprint_sha256(fresh.get());
    assert_true(eventually([&] { return served_fingerprint(mqtts_port()) == fresh_fingerprint; }));
    assert_true(eventually([&] { return served_fingerprint(https_port()) == fresh_fingerprint; }));
    assert_int_equal(mosquitto_pub(probe_id, probe_password, tls_dir() + "/ca.crt", "{}").status,
                     0);
    // The HTTPS connection opened before both reloads still answers.
    assert_true(get_ok("/healthz"));
    assert_true(kept.transport.connected());
    assert_true(kept.publish_acknowledged(R"({"ph":7.2})"));
    assert_int_equal(reader->payloads("hydro/" + kept_id + "/reading").size() >= 1, 1);

    // Leave the stack as it was for any case after this one.
    install_server_certificate(original, original_key);
    signal_stack(SIGHUP);
    assert_true(
        eventually([&] { return served_fingerprint(mqtts_port()) == original_fingerprint; }));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(debian_clients_connect_when_they_trust_the_ca),
        cmocka_unit_test(plain_http_listener_only_redirects),
        cmocka_unit_test(firmware_transport_connects_over_tls),
        cmocka_unit_test(wrong_ca_and_plain_text_are_refused),
        cmocka_unit_test(plain_http_off_loopback_does_not_start),
        cmocka_unit_test(reload_on_sighup_keeps_connections),
    };
    sarang_fw::host::MosquittoLibrary library;
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
