#include "rejection_tally.hpp"

#include <map>

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

} // namespace sarang::telemetry
