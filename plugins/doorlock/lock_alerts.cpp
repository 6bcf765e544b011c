// A lock's own alert ({prefix}/alert, the seed's {"attempts": 5, "lockout": true}) becomes a
// lock_alert notification for its owner, as the seed's backend sent a WhatsApp security alert
// for it. The telemetry plugin stores the alert itself in device_events; this only notifies.
//
// One per lock per minute at most: the dedupe key carries the minute, so a QoS 1 redelivery, a
// chatty lock or several broker nodes add nothing more (a lockout's own alert, raised by the
// checker, has its own key).
#include "doorlock_plugin.hpp"
#include "sarang/door_pin.hpp"

#include <chrono>

namespace sarang::doorlock {

void notify_lock_alert(DoorlockPlugin& plugin, pg::Connection& db, const Attempt& alert) {
    pg::Result lock = db.exec("SELECT kind, topic_prefix, owner_id FROM devices"
                              " WHERE id = $1 AND state <> 'revoked'",
                              {alert.device_id});
    if (lock.rows() != 1 || lock.text(0, 0) != "door-lock" || lock.is_null(0, 2) ||
        alert.topic != std::string(lock.text(0, 1)) + "/alert")
        return;
    std::optional<std::string> data = door::lock_alert_data(alert.payload);
    if (!data) {
        if (plugin.refusal_log.due(alert.device_id, "not_an_object"))
            LOG_WARN("doorlock", "alert from %s is not a JSON object; not notified",
                     alert.device_id.c_str());
        return;
    }
    auto minute = std::chrono::duration_cast<std::chrono::minutes>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    long long added =
        db.exec("INSERT INTO notifications (user_id, kind, device_id, data, dedupe_key)"
                " VALUES ($1::bigint, 'lock_alert', $2, $3::jsonb, $4)"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                {std::string(lock.text(0, 2)), alert.device_id, *data,
                 "lock_alert:" + alert.device_id + ":lock:" + std::to_string(minute)})
            .affected();
    if (added == 1) {
        ++plugin.counters.alerts;
        LOG_INFO("doorlock", "alert from %s sent to its owner", alert.device_id.c_str());
    }
}

} // namespace sarang::doorlock
