#include "sarang/rejection_outbox.hpp"

#include "sarang/data_message.hpp"

namespace sarang {
namespace {

// device_rejections.reason is [a-z_]{1,40} (sql/0018): one odd name from a plugin must not fail
// the whole batch it is written with.
std::string reason_name(std::string_view reason) {
    std::string name;
    for (char c : reason.substr(0, 40))
        name += (c >= 'a' && c <= 'z') || c == '_' ? c
                : (c >= 'A' && c <= 'Z')           ? c - 'A' + 'a'
                                                   : '_';
    return name.empty() ? "rejected" : name;
}

} // namespace

void RejectionOutbox::merge(RejectionRow row) {
    auto key = std::make_pair(row.device_id, row.reason);
    auto found = rows_.find(key);
    if (found == rows_.end()) {
        if (rows_.size() < max_keys_)
            rows_.emplace(std::move(key), std::move(row));
        return;
    }
    found->second.count += row.count;
}

void RejectionOutbox::add(std::string_view device_id, std::string_view reason,
                          std::string_view detail, std::string_view payload) {
    RejectionRow row{std::string(device_id), reason_name(reason), 1, rejection_sample(detail, 300),
                     rejection_sample(payload)};
    std::lock_guard lock(mutex_);
    auto found = rows_.find({row.device_id, row.reason});
    if (found != rows_.end()) { // the newest detail and sample win
        found->second.count += 1;
        found->second.detail = std::move(row.detail);
        found->second.sample = std::move(row.sample);
        return;
    }
    merge(std::move(row));
}

std::vector<RejectionRow> RejectionOutbox::take() {
    std::map<std::pair<std::string, std::string>, RejectionRow> taken;
    {
        std::lock_guard lock(mutex_);
        taken.swap(rows_);
    }
    std::vector<RejectionRow> rows;
    rows.reserve(taken.size());
    for (auto& [key, row] : taken)
        rows.push_back(std::move(row));
    return rows;
}

void RejectionOutbox::restore(std::vector<RejectionRow> rows) {
    std::lock_guard lock(mutex_);
    for (RejectionRow& row : rows)
        merge(std::move(row));
}

void prepare_rejections(pg::Connection& db, const char* source) {
    db.prepare("sarang_add_rejections",
               std::string("SELECT sarang_add_rejections($1::text[], $2::text[], $3::bigint[],"
                           " $4::text[], $5::text[], '") +
                   source + "', now())");
}

void add_rejections(pg::Transaction& transaction, const std::vector<RejectionRow>& rows) {
    if (rows.empty())
        return;
    std::vector<std::string> devices, reasons, counts, details, samples;
    for (const RejectionRow& row : rows) {
        devices.push_back(row.device_id);
        reasons.push_back(row.reason);
        counts.push_back(std::to_string(row.count));
        details.push_back(row.detail);
        samples.push_back(row.sample);
    }
    transaction.exec_prepared("sarang_add_rejections",
                              {pg::array_literal(devices), pg::array_literal(reasons),
                               pg::array_literal(counts), pg::array_literal(details),
                               pg::array_literal(samples)});
}

void flush_rejections(RejectionOutbox& outbox, DbLoop& loop, std::stop_token stop) {
    std::vector<RejectionRow> rows = outbox.take();
    if (rows.empty())
        return;
    DbLoop::RoundEnd end = loop.round(stop, [&](pg::Connection& db) {
        db.ensure_connected();
        pg::Transaction transaction(db);
        add_rejections(transaction, rows);
        transaction.commit();
    });
    if (end == DbLoop::RoundEnd::outage)
        outbox.restore(std::move(rows));
}

} // namespace sarang
