#include "rejection_tally.hpp"

namespace sarang::telemetry {

std::vector<RejectionRow> tally(const std::vector<Rejection>& rejected) {
    std::map<std::pair<std::string, std::string>, RejectionRow> by_key;
    for (const Rejection& rejection : rejected) {
        if (rejection.reason == "unknown_device")
            continue;
        RejectionRow& row = by_key[{rejection.device_id, rejection.reason}];
        if (row.count++ == 0) {
            row.device_id = rejection.device_id;
            row.reason = rejection.reason;
        }
        row.detail = rejection_sample(rejection.detail, 300); // parse errors quote the payload
        row.sample = rejection.sample;
    }
    std::vector<RejectionRow> rows;
    rows.reserve(by_key.size());
    for (auto& [key, row] : by_key)
        rows.push_back(std::move(row));
    return rows;
}

void BrokerRefusals::merge(RejectionRow row) {
    auto key = std::make_pair(row.device_id, row.reason);
    auto found = rows_.find(key);
    if (found == rows_.end()) {
        // Beyond the cap a refusal is still logged and in stats.prom, only not per device.
        if (rows_.size() < max_keys_)
            rows_.emplace(std::move(key), std::move(row));
        return;
    }
    found->second.count += row.count;
}

void BrokerRefusals::add(std::string_view device_id, const char* reason, std::string_view detail,
                         std::string_view payload) {
    RejectionRow row{std::string(device_id), reason, 1, rejection_sample(detail, 300),
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

std::vector<RejectionRow> BrokerRefusals::take() {
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

void BrokerRefusals::restore(std::vector<RejectionRow> rows) {
    std::lock_guard lock(mutex_);
    for (RejectionRow& row : rows)
        merge(std::move(row));
}

} // namespace sarang::telemetry
