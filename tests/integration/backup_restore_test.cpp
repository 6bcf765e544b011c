// sarangctl backup and restore against the real stack (docs/backup.md, issue #19 item 4): a
// stack with users, devices, readings and packages with photos is backed up, wiped and
// restored; devices sign in with their old credentials and the photos come back byte for byte.
// A damaged backup, or one restored over a database with devices without --force, changes
// nothing.
#include "api_session.hpp"
#include "db_checksum.hpp"
#include "http_client.hpp"
#include "mqtt_client.hpp"
#include "stack_env.hpp"
#include "test_photos.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <vips/vips8>

#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path state_dir() {
    return fs::path(std::getenv("SARANG_TEST_STATE"));
}
fs::path backups() {
    return state_dir() / "backups";
}
fs::path photos_dir() {
    return state_dir() / "storage" / "packages";
}

long long count(const std::string& sql) {
    return db().exec(sql).integer(0, 0);
}

int reading(const std::string& id, const std::string& password) {
    MqttClient client(id);
    if (client.connect(stack_env().mqtt_port, id, password) != 0)
        return -1;
    return client.publish("hydro/" + id + "/reading", R"({"ph":6.5})");
}

// True once the broker refuses the device (after a wipe its snapshot has to follow).
bool wait_until_refused(const std::string& id, const std::string& password) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        MqttClient client(id);
        if (client.connect(stack_env().mqtt_port, id, password, 2s) != 0)
            return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

// The disaster: every row of every table gone and the photos deleted while the services run.
// Their sessions are ended so their caches (device snapshot, ...) load the empty tables.
void wipe() {
    std::string tables(db().exec("SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables"
                                 " WHERE schemaname = 'public'")
                           .text(0, 0));
    db().exec("TRUNCATE " + tables + " RESTART IDENTITY CASCADE");
    db().exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              " WHERE datname = current_database() AND application_name LIKE 'sarang-%'");
    for (const fs::directory_entry& entry : fs::directory_iterator(photos_dir()))
        fs::remove(entry.path());
}

struct StoredPackage {
    std::string photo_url, thumb_url;
    std::string photo, thumb; // the bytes served before the backup
};

std::string served(const std::string& url, const std::string& token) {
    HttpResult answer = http_request(stack_env().http_port, "GET", url, "", bearer(token));
    if (answer.status != 200)
        fail_msg("GET %s: %d", url.c_str(), answer.status);
    return answer.body;
}

StoredPackage upload(const ParcelBox& box, int width) {
    HttpResult stored = upload_package(box.credential, test_jpeg(width, 120),
                                       R"({"deviceId":")" + box.id + R"(","distanceCm":17})");
    assert_int_equal(stored.status, 200);
    StoredPackage package{json_field(stored.body, "photoUrl"), json_field(stored.body, "thumbUrl"),
                          "", ""};
    package.photo = served(package.photo_url, box.owner.token);
    package.thumb = served(package.thumb_url, box.owner.token);
    return package;
}

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    assert_int_equal(::stat(path.c_str(), &info), 0);
    return info.st_mode & 07777;
}

void a_backup_never_writes_into_a_non_empty_folder(void**) {
    fs::create_directories(backups() / "occupied");
    std::ofstream(backups() / "occupied" / "keep") << "an operator's file\n";
    std::string output;
    assert_int_not_equal(run_sarangctl("backup " + (backups() / "occupied").string(), output), 0);
    assert_int_equal(std::distance(fs::directory_iterator(backups() / "occupied"), {}), 1);
    assert_false(fs::exists(backups() / "occupied.partial"));
    // A file where the folder should be, and no folder at all.
    std::ofstream(backups() / "a-file") << "x";
    assert_int_not_equal(run_sarangctl("backup " + (backups() / "a-file").string(), output), 0);
    assert_int_not_equal(run_sarangctl("backup", output), 0);
    // pg_dump failing (a database that does not exist) leaves neither the folder nor a part.
    fs::path config = state_dir() / "wrong-db.conf";
    {
        std::ifstream in(stack_env().config_path);
        std::ofstream out(config);
        for (std::string line; std::getline(in, line);)
            out << (line.starts_with("db.dsn") ? line + " dbname=no_such_database" : line) << "\n";
    }
    std::string command = stack_env().sarangctl + " --config " + config.string() + " backup " +
                          (backups() / "failed").string() + " 2>/dev/null";
    assert_int_not_equal(std::system(command.c_str()), 0);
    assert_false(fs::exists(backups() / "failed"));
    assert_false(fs::exists(backups() / "failed.partial"));
}

void backup_wipe_restore_brings_everything_back(void**) {
    AppAccount user = create_account(unique_id("bk-user"));
    std::string pi = unique_id("pi");
    std::string pi_password = create_device(pi, "hydro-sensor");
    assert_true(accepted(reading(pi, pi_password)));
    assert_true(accepted(reading(pi, pi_password)));
    const std::string readings_of_pi = "SELECT count(*) FROM readings WHERE device_id = $1";
    expect_count_of(readings_of_pi, pi, 2);
    ParcelBox box = make_parcel_box("box-bk");
    StoredPackage first = upload(box, 160);
    StoredPackage second = upload(box, 200);
    const long long users = count("SELECT count(*) FROM users");
    const long long devices = count("SELECT count(*) FROM devices");
    const long long readings = count("SELECT count(*) FROM readings");
    const long long packages = count("SELECT count(*) FROM packages");
    assert_int_equal(packages, 2);

    const fs::path dir = backups() / "full";
    std::string output;
    assert_int_equal(run_sarangctl("backup " + dir.string() + " --with-secrets", output), 0);
    assert_int_equal(mode_of(dir / "secrets"), 0700);
    assert_int_equal(mode_of(dir / "secrets" / "sarang.conf"), 0600);
    assert_true(fs::exists(dir / "secrets" / "README"));
    assert_int_equal(std::distance(fs::directory_iterator(dir / "photos"), {}), 4);

    wipe();
    assert_true(wait_until_refused(pi, pi_password));
    assert_int_equal(upload_package(box.credential, test_jpeg(64, 64), "{}").status, 401);
    assert_int_equal(count("SELECT count(*) FROM devices"), 0);
    assert_true(fs::is_empty(photos_dir()));

    assert_int_equal(run_sarangctl("restore " + dir.string(), output), 0);
    // The old credentials, over MQTT and over HTTP (the box uploads with its MQTT password).
    assert_true(wait_until_admitted(pi, pi_password, 10s));
    assert_true(accepted(reading(pi, pi_password)));
    expect_count_of(readings_of_pi, pi, 3);
    assert_int_equal(count("SELECT count(*) FROM users"), users);
    assert_int_equal(count("SELECT count(*) FROM devices"), devices);
    assert_int_equal(count("SELECT count(*) FROM readings"), readings + 1);
    assert_int_equal(count("SELECT count(*) FROM packages"), packages);
    assert_int_equal(login(user.username, user.password).status, 200);
    // The owner's session and the photos served from the restored files, byte for byte.
    for (const StoredPackage* package : {&first, &second}) {
        assert_true(served(package->photo_url, box.owner.token) == package->photo);
        assert_true(served(package->thumb_url, box.owner.token) == package->thumb);
    }
    assert_int_equal(upload_package(box.credential, test_jpeg(64, 64), "{}").status, 200);
}

void a_refused_or_damaged_restore_changes_nothing(void**) {
    ParcelBox box = make_parcel_box("box-dmg");
    upload(box, 100);
    const fs::path dir = backups() / "damaged";
    std::string output;
    assert_int_equal(run_sarangctl("backup " + dir.string(), output), 0);
    // Made after the backup: a restore that happened would remove it.
    assert_int_equal(run_sarangctl("users create " + unique_id("after"), output), 0);

    const std::vector<ChecksumException> live = {
        {"access_nodes", {"applied_barrier", "heartbeat_at"}, "broker nodes beat every second"},
        {"worker_status", {"heartbeat_at"}, "each plugin's database worker beats"},
        {"devices",
         {"online", "online_node", "last_seen_at", "last_connected_at", "last_disconnected_at"},
         "the presence writer records the probe connections of the steps above in the "
         "background"},
        {"device_presence", {}, "the same presence changes, as history"},
        {"notification_deliveries",
         {"state", "attempts", "next_attempt_at", "claimed_until", "last_error", "sent_at"},
         "the notification worker retries the package's WhatsApp message in the background"},
    };
    print_exceptions(live);
    TableChecksums before = table_checksums(live);
    std::vector<std::string> photos_before;
    for (const fs::directory_entry& entry : fs::directory_iterator(photos_dir()))
        photos_before.push_back(entry.path().filename());

    // Intact, but the database has devices: --force is required.
    assert_int_equal(run_sarangctl("restore " + dir.string(), output), 2);
    // One flipped byte in the dump, then in a photo: refused before anything is touched.
    for (const fs::path& victim :
         {dir / "database.dump", fs::directory_iterator(dir / "photos")->path()}) {
        std::fstream file(victim, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(64);
        char byte = 0;
        file.read(&byte, 1);
        file.seekp(64);
        byte = static_cast<char>(byte ^ 0x01);
        file.write(&byte, 1);
        file.close();
        assert_int_equal(run_sarangctl("restore " + dir.string() + " --force", output), 1);
        byte = static_cast<char>(byte ^ 0x01); // whole again for the next victim
        std::fstream again(victim, std::ios::in | std::ios::out | std::ios::binary);
        again.seekp(64);
        again.write(&byte, 1);
    }
    // A file slipped in beside the backup's is refused too.
    std::ofstream(dir / "photos" / "package_1_0000000000000000.jpg") << "not from the backup";
    assert_int_equal(run_sarangctl("restore " + dir.string() + " --force", output), 1);

    std::vector<std::string> changed = changed_tables(before, table_checksums(live));
    for (const std::string& table : changed)
        print_message("changed: %s\n", table.c_str());
    assert_true(changed.empty());
    std::vector<std::string> photos_after;
    for (const fs::directory_entry& entry : fs::directory_iterator(photos_dir()))
        photos_after.push_back(entry.path().filename());
    assert_true(photos_after == photos_before);
}

std::string text_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Device credentials are hashed with auth.pepper: a restore onto a server with another pepper
// is refused, and the backup's pepper replaces the server's only with --with-secrets --force.
void a_restore_never_swaps_the_pepper_silently(void**) {
    const fs::path dir = backups() / "peppered";
    std::string output;
    assert_int_equal(run_sarangctl("backup " + dir.string() + " --with-secrets", output), 0);
    const fs::path other = state_dir() / "other-pepper.conf";
    {
        std::ifstream in(stack_env().config_path);
        std::ofstream out(other);
        for (std::string line; std::getline(in, line);)
            out << (line.starts_with("auth.pepper") ? "auth.pepper = " + std::string(64, 'a')
                                                    : line)
                << "\n";
    }
    const std::string written = text_of(other);
    auto restore_with = [&](const std::string& flags) {
        std::string command = stack_env().sarangctl + " --config " + other.string() + " restore " +
                              dir.string() + flags + " >/dev/null 2>&1";
        int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    assert_int_equal(restore_with(""), 2);
    assert_int_equal(restore_with(" --with-secrets"), 2);
    assert_true(text_of(other) == written);
    assert_int_equal(restore_with(" --with-secrets --force"), 0);
    assert_true(text_of(other) == text_of(dir / "secrets" / "sarang.conf"));
    assert_true(text_of(state_dir() / "other-pepper.conf.before-restore") == written);
}

} // namespace

int main() {
    if (VIPS_INIT("backup_restore_test") != 0)
        return 1;
    fs::create_directories(backups());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_backup_never_writes_into_a_non_empty_folder),
        cmocka_unit_test(backup_wipe_restore_brings_everything_back),
        cmocka_unit_test(a_refused_or_damaged_restore_changes_nothing),
        cmocka_unit_test(a_restore_never_swaps_the_pepper_silently),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
