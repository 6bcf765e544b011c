#include "app_users.hpp"

#include "snapshot_diff.hpp"

namespace sarang::access {

bool app_session_valid(const AppUser* user, const crypto::Digest& presented,
                       WallClock::time_point now) {
    if (user == nullptr)
        return false;
    bool valid = false;
    for (const AppSession& session : user->sessions) {
        bool same = crypto::constant_time_equal(session.token_hash, presented);
        valid = valid || (same && now < session.expires_at);
    }
    return valid;
}

const AppUser* AppUserSnapshot::find(std::string_view username) const {
    auto id = id_by_name_.find(std::string(username));
    return id == id_by_name_.end() ? nullptr : find(id->second);
}

const AppUser* AppUserSnapshot::find(long long id) const {
    auto user = by_id_.find(id);
    return user == by_id_.end() ? nullptr : &user->second;
}

std::vector<long long> AppUserSnapshot::replace_all(std::vector<AppUser> users) {
    std::unordered_map<long long, AppUser> next;
    for (AppUser& user : users) {
        long long id = user.id;
        next.insert_or_assign(id, std::move(user));
    }
    std::vector<long long> changed = changed_keys(by_id_, next);
    by_id_ = std::move(next);
    id_by_name_.clear();
    for (const auto& [id, user] : by_id_)
        id_by_name_[user.username] = id;
    return changed;
}

std::vector<long long> AppUserSnapshot::update(long long id, std::optional<AppUser> user) {
    std::vector<long long> changed;
    auto existing = by_id_.find(id);
    if (existing != by_id_.end()) {
        if (!user || !(*user == existing->second))
            changed.push_back(id);
        id_by_name_.erase(existing->second.username);
        by_id_.erase(existing);
    }
    if (user) {
        id_by_name_[user->username] = id;
        by_id_.insert_or_assign(id, std::move(*user));
    }
    return changed;
}

} // namespace sarang::access
