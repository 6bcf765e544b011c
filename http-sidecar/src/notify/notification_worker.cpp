#include "notify/notification_worker.hpp"

#include "notify/messages.hpp"
#include "sarang/log.hpp"
#include "sarang/pg.hpp"

#include <algorithm>

namespace sarang::http {
namespace {

constexpr const char* channel_name = "sarang_notifications";

// The next due delivery, claimed with everything needed to send it. One at a time: a claim is
// a promise to send now, and a stop between claim and send would turn it into a loss.
constexpr const char* claim_sql = R"(
WITH due AS (
    SELECT id FROM notification_deliveries
    WHERE state = 'pending' AND next_attempt_at <= now()
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE notification_deliveries d
SET state = 'sending', attempts = d.attempts + 1,
    claimed_until = now() + $1::bigint * interval '1 second'
FROM due
JOIN notification_deliveries src ON src.id = due.id
JOIN notifications n ON n.id = src.notification_id
LEFT JOIN devices dev ON dev.id = n.device_id
LEFT JOIN notification_preferences p ON p.user_id = n.user_id
LEFT JOIN webhooks w ON src.channel = 'webhook' AND w.id::text = src.target
CROSS JOIN whatsapp_link link
WHERE d.id = due.id
RETURNING d.id, d.channel, d.target, d.attempts, n.id, n.kind, n.data::text,
    coalesce(n.image_path, ''), coalesce(dev.name, n.device_id, ''),
    to_char(n.created_at AT TIME ZONE 'Asia/Jakarta', 'DD/MM/YYYY HH24:MI') || ' WIB',
    coalesce(p.language, 'id'),
    coalesce(p.is_blocked AND (p.blocked_until IS NULL OR p.blocked_until > now()), false),
    coalesce(w.url, ''), link.is_paired, coalesce(n.device_id, ''),
    to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";

// Claims that expired: their sender died mid-request.
constexpr const char* settle_interrupted_sql = R"(
UPDATE notification_deliveries
SET state = CASE WHEN channel = 'webhook' AND attempts < $1::int THEN 'pending' ELSE 'failed' END,
    claimed_until = NULL,
    last_error = CASE WHEN channel = 'webhook'
        THEN 'interrupted while sending; retried with the same delivery id'
        ELSE 'interrupted while sending; not resent, as the message may have gone out' END
WHERE state = 'sending' AND claimed_until < now())";

// One notification per outage (the key holds when it began) for owned devices offline longer
// than $1 seconds. Outages older than a day when first seen (a long-dead device, a fresh
// install) raise nothing: an alert that late helps no one.
constexpr const char* offline_sql = R"(
INSERT INTO notifications (user_id, kind, device_id, data, dedupe_key)
SELECT d.owner_id, 'device_offline', d.id,
       jsonb_build_object('minutes',
           floor(extract(epoch FROM now() - d.last_disconnected_at) / 60)::int),
       'device_offline:' || d.id || ':' ||
           (extract(epoch FROM d.last_disconnected_at) * 1000000)::bigint
FROM devices d
WHERE d.owner_id IS NOT NULL AND NOT d.online AND d.state <> 'revoked'
  AND d.last_disconnected_at < now() - $1::bigint * interval '1 second'
  AND d.last_disconnected_at > now() - interval '1 day'
ON CONFLICT (dedupe_key) DO NOTHING)";

struct Delivery {
    std::string id, channel, target;
    int attempts = 0;
    std::string notification_id, kind, data, image_path, device, when, language;
    bool blocked = false;
    std::string webhook_url;
    bool paired = false;
    std::string device_id, created_at;
};

enum class Verdict { sent, retry, failed, skipped };

struct Outcome {
    Verdict verdict;
    std::string error;
};

// `echo_body`: keep the start of an error answer for the delivery's last_error. Not for
// webhooks, whose answers are not ours to show back to the user who chose the URL.
// `resend_safe`: whether a request whose outcome is unknown (sent, then no answer) may be
// repeated. WhatsApp: no, a second message is worse than a reported failure; webhooks: yes,
// receivers drop repeats by X-Sarang-Delivery.
Outcome judge(const out::Reply& reply, bool echo_body, bool resend_safe) {
    if (reply.status >= 200 && reply.status < 300)
        return {Verdict::sent, ""};
    std::string error = reply.status == 0 ? reply.error
                                          : "HTTP " + std::to_string(reply.status) +
                                                (echo_body ? ": " + reply.body.substr(0, 300) : "");
    if (reply.status == 0 && reply.request_sent && !resend_safe)
        return {Verdict::failed, error + " (outcome unknown: not resent)"};
    // No connection, or the gateway said it failed (5xx) or to come back (408, 429).
    bool transient =
        reply.status == 0 || reply.status >= 500 || reply.status == 408 || reply.status == 429;
    return {transient ? Verdict::retry : Verdict::failed, error};
}

// The link may have been paired since anyone last looked (GOWA's own page, or nobody opened the
// status route): ask GOWA's device list, at most every 30 s, and record what it confirms.
bool confirm_pairing(pg::Connection& db, const GowaClient& gowa) {
    static thread_local std::chrono::steady_clock::time_point last_asked{};
    static thread_local bool last_answer = false;
    auto now = std::chrono::steady_clock::now();
    if (now - last_asked < std::chrono::seconds(30))
        return last_answer;
    last_asked = now;
    out::Reply reply = gowa.devices();
    std::string error;
    json::Ptr body = reply.status == 200 ? json::parse(reply.body, error) : nullptr;
    json_t* results = body ? json_object_get(body.get(), "results") : nullptr;
    last_answer = json_is_array(results) && json_array_size(results) > 0;
    if (last_answer) {
        const char* phone =
            json_string_value(json_object_get(json_array_get(results, 0), "device"));
        db.exec("UPDATE whatsapp_link SET is_paired = true, sender_phone = $1, updated_at = now()"
                " WHERE NOT is_paired",
                {phone ? std::optional<std::string>(phone) : std::nullopt});
    }
    return last_answer;
}

Outcome send(pg::Connection& db, const Delivery& delivery, const NotifySettings& settings,
             const GowaClient& gowa) {
    std::string error;
    json::Ptr data = json::parse(delivery.data, error);
    if (!data)
        data = json::own(json_object());
    bool verification = delivery.kind == "whatsapp_verification";
    if (verification) { // the code is derived here: the outbox holds only its nonce
        const json_t* nonce = json_object_get(data.get(), "nonce");
        std::string code =
            whatsapp_verification_code(settings.pepper, delivery.target,
                                       json_is_string(nonce) ? json_string_value(nonce) : "");
        json::set(data.get(), "code", json::own(json_string(code.c_str())));
    }
    std::string text = notification_text(delivery.kind, delivery.language, data.get(),
                                         delivery.device, delivery.when);
    if (delivery.channel == "whatsapp") {
        if (delivery.blocked && !verification) // the owner asked for this one just now
            return {Verdict::skipped, "notifications are blocked"};
        if (!gowa.configured())
            return {Verdict::skipped, "WhatsApp is not configured (gowa.base_url)"};
        if (!delivery.paired && !confirm_pairing(db, gowa))
            return {Verdict::skipped, "WhatsApp is not paired"};
        if (!delivery.image_path.empty() && !settings.public_url.empty()) {
            std::string url = signed_media_url(
                settings.public_url, delivery.image_path,
                std::chrono::system_clock::now() + settings.image_url_ttl, settings.pepper);
            return judge(gowa.send_image(delivery.target, text, url), true, false);
        }
        return judge(gowa.send_message(delivery.target, text), true, false);
    }
    if (delivery.webhook_url.empty())
        return {Verdict::skipped, "the webhook was deleted"};
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "event", json::own(json_string(delivery.kind.c_str())));
    json::set(body.get(), "notificationId",
              json::own(json_integer(std::stoll(delivery.notification_id))));
    json::set(body.get(), "deviceId",
              delivery.device_id.empty() ? json::own(json_null())
                                         : json::own(json_string(delivery.device_id.c_str())));
    json::set(body.get(), "createdAt", json::own(json_string(delivery.created_at.c_str())));
    json::set(body.get(), "text", json::own(json_string(text.c_str())));
    json::set(body.get(), "data", std::move(data));
    out::Request request;
    request.method = "POST";
    request.url = delivery.webhook_url;
    request.body = json::dump(body.get());
    request.timeout = settings.gowa.timeout;
    request.public_addresses_only = !settings.allow_private_webhooks;
    request.headers = {
        {"Content-Type", "application/json"},
        {"X-Sarang-Event", delivery.kind},
        {"X-Sarang-Delivery", delivery.id},
        {"X-Sarang-Signature",
         webhook_signature(webhook_secret(settings.pepper, std::stoll(delivery.target)),
                           request.body)}};
    return judge(out::perform(request), false, true);
}

// An outcome is recorded only while the claim is still this worker's: after an expiry another
// sidecar may have settled or re-claimed the delivery.
constexpr const char* still_ours = "state = 'sending' AND attempts = $2";

void record(pg::Connection& db, const Delivery& delivery, const Outcome& outcome,
            const NotifySettings& settings) {
    if (outcome.verdict == Verdict::sent) {
        db.exec("UPDATE notification_deliveries SET state = 'sent', sent_at = now(),"
                " claimed_until = NULL, last_error = NULL WHERE id = $1 AND " +
                    std::string(still_ours),
                {delivery.id, std::to_string(delivery.attempts)});
        return;
    }
    bool retry = outcome.verdict == Verdict::retry && delivery.attempts < settings.max_attempts;
    if (retry) {
        // base * 2^(attempt-1), at most an hour.
        long long delay_ms = settings.retry_base.count();
        for (int i = 1; i < delivery.attempts && delay_ms < 3600000; ++i)
            delay_ms *= 2;
        delay_ms = std::min<long long>(delay_ms, 3600000);
        db.exec("UPDATE notification_deliveries SET state = 'pending', claimed_until = NULL,"
                " next_attempt_at = now() + $2::bigint * interval '1 millisecond',"
                " last_error = $3 WHERE id = $1 AND state = 'sending' AND attempts = $4",
                {delivery.id, std::to_string(delay_ms), outcome.error,
                 std::to_string(delivery.attempts)}); // the same check as still_ours
        return;
    }
    db.exec("UPDATE notification_deliveries SET state = $3, claimed_until = NULL, last_error = $4"
            " WHERE id = $1 AND " +
                std::string(still_ours),
            {delivery.id, std::to_string(delivery.attempts),
             outcome.verdict == Verdict::skipped ? "skipped" : "failed", outcome.error});
    if (outcome.verdict != Verdict::skipped)
        LOG_WARN("notify", "delivery %s (%s) failed for good after %d attempts: %s",
                 delivery.id.c_str(), delivery.channel.c_str(), delivery.attempts,
                 outcome.error.c_str());
}

std::vector<Delivery> claim(pg::Connection& db) {
    pg::Result rows = db.exec(claim_sql, {std::to_string(delivery_claim.count())});
    std::vector<Delivery> out;
    for (int row = 0; row < rows.rows(); ++row) {
        Delivery d;
        d.id = rows.text(row, 0);
        d.channel = rows.text(row, 1);
        d.target = rows.text(row, 2);
        d.attempts = static_cast<int>(rows.integer(row, 3));
        d.notification_id = rows.text(row, 4);
        d.kind = rows.text(row, 5);
        d.data = rows.text(row, 6);
        d.image_path = rows.text(row, 7);
        d.device = rows.text(row, 8);
        d.when = rows.text(row, 9);
        d.language = rows.text(row, 10);
        d.blocked = rows.boolean(row, 11);
        d.webhook_url = rows.text(row, 12);
        d.paired = rows.boolean(row, 13);
        d.device_id = rows.text(row, 14);
        d.created_at = rows.text(row, 15);
        out.push_back(std::move(d));
    }
    return out;
}

} // namespace

NotificationWorker::NotificationWorker(std::string dsn, NotifySettings settings)
    : dsn_(std::move(dsn)), settings_(std::move(settings)),
      worker_("httpd-notify", [this](std::stop_token stop) { run(stop); }) {}

void NotificationWorker::run(std::stop_token stop) {
    pg::Connection db(dsn_, "sarang-notify");
    db.listen(channel_name);
    GowaClient gowa(settings_.gowa);
    Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(10));
    // Look for offline devices a few times per threshold, at most every 30 s.
    auto offline_every = std::clamp<std::chrono::seconds>(
        settings_.offline_after / 4, std::chrono::seconds(1), std::chrono::seconds(30));
    auto next_offline_check = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
        try {
            db.ensure_connected();
            if (settings_.offline_after.count() > 0 &&
                std::chrono::steady_clock::now() >= next_offline_check) {
                db.exec(offline_sql, {std::to_string(settings_.offline_after.count())});
                next_offline_check = std::chrono::steady_clock::now() + offline_every;
            }
            db.exec(settle_interrupted_sql, {std::to_string(settings_.max_attempts)});
            for (std::vector<Delivery> batch = claim(db); !batch.empty() && !stop.stop_requested();
                 batch = claim(db)) {
                for (const Delivery& delivery : batch)
                    record(db, delivery, send(db, delivery, settings_, gowa), settings_);
            }
            backoff.reset();
            // A new notification wakes us; retries come due on their own, so look once a second.
            db.wait_notifications(std::chrono::milliseconds(1000));
        } catch (const std::exception& error) {
            LOG_WARN("notify", "delivery loop: %s; retrying", error.what());
            db.disconnect();
            sleep_unless_stopped(stop, backoff.next());
        }
    }
}

} // namespace sarang::http
