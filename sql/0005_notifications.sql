-- Notifications (issue #9): events that should reach a person become rows in an outbox; one
-- delivery row per recipient and channel is what the sidecar's worker sends, retries and
-- records. Producers only INSERT INTO notifications; the trigger fans out.

-- The WhatsApp account GOWA is logged in as: one per installation (GOWA serves one session).
CREATE TABLE whatsapp_link (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    is_paired    boolean NOT NULL DEFAULT false,
    sender_phone text,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO whatsapp_link DEFAULT VALUES;

CREATE TABLE notification_preferences (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    is_blocked    boolean NOT NULL DEFAULT false,
    blocked_until timestamptz,          -- NULL with is_blocked: until unblocked
    language      text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE whatsapp_recipients (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone      text NOT NULL CHECK (phone ~ '^[0-9]{8,15}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, phone)
);

-- A webhook's signing secret is not stored: it is HMAC(auth.pepper, 'webhook:' || id), shown
-- once when the webhook is created.
CREATE TABLE webhooks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        text NOT NULL CHECK (url ~ '^https?://[^[:space:]]+$' AND length(url) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, url)
);

CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('package_received', 'pin_lockout', 'lock_alert',
                   'dispense_failed', 'slot_empty', 'device_offline', 'test')),
    device_id  text REFERENCES devices (id) ON DELETE SET NULL,
    data       jsonb NOT NULL DEFAULT '{}',
    image_path text,                      -- under the storage folder; sent by signed URL
    dedupe_key text UNIQUE,               -- a producer retrying the same event adds nothing
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('whatsapp', 'webhook')),
    target          text NOT NULL,        -- a phone number, or a webhook id
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until   timestamptz,          -- a worker's claim while it sends
    last_error      text,
    sent_at         timestamptz,
    UNIQUE (notification_id, channel, target)
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX notification_deliveries_claimed_idx ON notification_deliveries (claimed_until)
    WHERE state = 'sending';

-- Fan out a new notification to the owner's recipients and webhooks. A blocked owner's
-- WhatsApp deliveries are recorded as skipped, not sent later.
CREATE FUNCTION fan_out_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocked boolean;
BEGIN
    SELECT p.is_blocked AND (p.blocked_until IS NULL OR p.blocked_until > now())
      INTO blocked FROM notification_preferences p WHERE p.user_id = NEW.user_id;
    INSERT INTO notification_deliveries (notification_id, channel, target, state, last_error)
    SELECT NEW.id, 'whatsapp', r.phone,
           CASE WHEN coalesce(blocked, false) THEN 'skipped' ELSE 'pending' END,
           CASE WHEN coalesce(blocked, false) THEN 'notifications are blocked' END
    FROM whatsapp_recipients r WHERE r.user_id = NEW.user_id;
    INSERT INTO notification_deliveries (notification_id, channel, target)
    SELECT NEW.id, 'webhook', w.id::text FROM webhooks w WHERE w.user_id = NEW.user_id;
    PERFORM pg_notify('sarang_notifications', NEW.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER notifications_fan_out AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION fan_out_notification();
