// The secrets loader worker: keeps the broker's list of live factory secrets equal to the
// factory_secrets table (LISTEN sarang_factory_secrets, full reload: there are a handful), and
// once a second ends SoftAP pre-registrations that expired unused, which revokes their device
// and so their credential (the access plugin follows through NOTIFY).
#include "provision_plugin.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/pg.hpp"

namespace sarang::provision {
namespace {

std::vector<FactorySecret> load_secrets(pg::Connection& db) {
    pg::Result rows = db.exec("SELECT id, encode(secret_hash, 'hex'),"
                              " (extract(epoch FROM not_after) * 1000000)::bigint"
                              " FROM factory_secrets"
                              " WHERE not_after IS NULL OR not_after > now()");
    std::vector<FactorySecret> secrets;
    for (int row = 0; row < rows.rows(); ++row) {
        std::optional<std::string> raw = crypto::hex_decode(rows.text(row, 1));
        if (!raw || raw->size() != crypto::Digest{}.size())
            continue;
        FactorySecret secret;
        secret.id = rows.integer(row, 0);
        std::copy(raw->begin(), raw->end(), secret.hash.begin());
        if (!rows.is_null(row, 2))
            secret.not_after =
                WallClock::time_point(std::chrono::microseconds(rows.integer(row, 2)));
        secrets.push_back(secret);
    }
    return secrets;
}

void post_secrets(ProvisionPlugin& plugin, std::vector<FactorySecret> secrets) {
    plugin.mailbox.post([&plugin, secrets = std::move(secrets)]() mutable {
        plugin.secrets = std::move(secrets);
        plugin.secrets_loaded = true;
        plugin.next_housekeeping = {}; // recheck the claimants at once
    });
    if (!plugin.first_load_posted.exchange(true))
        plugin.first_load.set_value();
}

// Expired, never-used pre-registrations: marked, and their device revoked with its credential.
long long sweep_pre_registrations(pg::Connection& db) {
    pg::Result rows =
        db.exec("WITH expired AS ("
                "  UPDATE pre_registrations SET expired_at = now()"
                "  WHERE provisioned_at IS NULL AND expired_at IS NULL AND expires_at <= now()"
                "  RETURNING device_id)"
                " UPDATE devices d SET state = 'revoked', credential_hash = NULL"
                " FROM expired e WHERE d.id = e.device_id AND d.state = 'pre_registered'"
                " RETURNING d.id");
    for (int row = 0; row < rows.rows(); ++row)
        LOG_INFO("provision", "pre-registration of %s expired unused: credential revoked",
                 std::string(rows.text(row, 0)).c_str());
    return rows.rows();
}

} // namespace

void run_secrets_loader(ProvisionPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "provision";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-provision-secrets";
    options.prepare = [](pg::Connection& db) { db.listen("sarang_factory_secrets"); };
    options.backoff_max = std::chrono::seconds(10);
    DbLoop loop(std::move(options));
    std::uint64_t loaded_generation = 0;
    auto next_sweep = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
        loop.round(stop, [&](pg::Connection& db) {
            db.ensure_connected();
            bool reload = db.generation() != loaded_generation;
            if (!reload)
                reload = !db.wait_notifications(std::chrono::milliseconds(500)).empty();
            if (reload) {
                loaded_generation = db.generation();
                post_secrets(plugin, load_secrets(db));
            }
            if (std::chrono::steady_clock::now() >= next_sweep) {
                next_sweep = std::chrono::steady_clock::now() + std::chrono::seconds(1);
                sweep_pre_registrations(db);
            }
        });
    }
}

} // namespace sarang::provision
