// Loader worker side of the integrations (sql/0019_integrations.sql): there are a handful of
// them, so every change on sarang_integrations reloads them all and the broker thread swaps the
// set in, kicking the connections of those revoked or rotated.
#include "access_plugin.hpp"
#include "sarang/pg.hpp"

namespace sarang::access {
namespace {

constexpr const char* select_integrations =
    "SELECT i.name, encode(i.credential_hash, 'hex'), f.filter"
    " FROM integrations i CROSS JOIN LATERAL unnest(i.read_filters) WITH ORDINALITY"
    " AS f(filter, n) WHERE i.revoked_at IS NULL ORDER BY i.name, f.n";

std::vector<Integration> integrations_from(const pg::Result& rows) {
    std::vector<Integration> out;
    for (int row = 0; row < rows.rows(); ++row) {
        std::string name(rows.text(row, 0));
        if (out.empty() || out.back().name != name) {
            std::optional<std::string> raw = crypto::hex_decode(rows.text(row, 1));
            if (!raw || raw->size() != crypto::Digest{}.size())
                continue; // the table's CHECK makes this unreachable; never admit on garbage
            Integration integration;
            integration.name = std::move(name);
            std::copy(raw->begin(), raw->end(), integration.credential_hash.begin());
            out.push_back(std::move(integration));
        }
        out.back().read_filters.emplace_back(rows.text(row, 2));
    }
    return out;
}

} // namespace

void post_integrations(AccessPlugin& plugin, pg::Connection& db) {
    std::vector<Integration> loaded = integrations_from(db.exec(select_integrations));
    plugin.mailbox.post([&plugin, loaded = std::move(loaded)]() mutable {
        plugin.revalidate_integrations(plugin.integrations.replace_all(std::move(loaded)));
    });
}

} // namespace sarang::access
