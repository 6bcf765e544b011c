-- WhatsApp recipients are verified before they receive anything (issue #21): adding a number
-- sends it only a six-digit code; the number gets notifications once the code came back.
--
-- The code is never stored. It is derived from a random nonce with the pepper (HMAC), so a
-- copy of the database alone does not reveal it; the nonce, its expiry and the attempts made
-- against it live on the recipient's row, and the nonce travels in the notification that carries
-- the code. Numbers added before this migration were never proved: they start unverified.
ALTER TABLE whatsapp_recipients
    ADD COLUMN verified_at     timestamptz,
    ADD COLUMN code_nonce      text CHECK (code_nonce ~ '^[0-9a-f]{32}$'),
    ADD COLUMN code_expires_at timestamptz,
    ADD COLUMN code_attempts   integer NOT NULL DEFAULT 0;

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('package_received', 'pin_lockout', 'lock_alert', 'dispense_failed',
                    'slot_empty', 'device_offline', 'test', 'whatsapp_verification'));

-- Fan-out as in 0005, with two changes: only verified recipients receive notifications, and a
-- whatsapp_verification goes to the one unverified number it names (data.phone) and nowhere else
-- (no webhooks: the code is for that phone). The owner's block does not hold back a code the
-- owner just asked for.
CREATE OR REPLACE FUNCTION fan_out_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocked boolean;
BEGIN
    IF NEW.kind = 'whatsapp_verification' THEN
        INSERT INTO notification_deliveries (notification_id, channel, target)
        SELECT NEW.id, 'whatsapp', r.phone FROM whatsapp_recipients r
        WHERE r.user_id = NEW.user_id AND r.phone = NEW.data->>'phone' AND r.verified_at IS NULL;
        PERFORM pg_notify('sarang_notifications', NEW.id::text);
        RETURN NULL;
    END IF;
    SELECT p.is_blocked AND (p.blocked_until IS NULL OR p.blocked_until > now())
      INTO blocked FROM notification_preferences p WHERE p.user_id = NEW.user_id;
    INSERT INTO notification_deliveries (notification_id, channel, target, state, last_error)
    SELECT NEW.id, 'whatsapp', r.phone,
           CASE WHEN coalesce(blocked, false) THEN 'skipped' ELSE 'pending' END,
           CASE WHEN coalesce(blocked, false) THEN 'notifications are blocked' END
    FROM whatsapp_recipients r WHERE r.user_id = NEW.user_id AND r.verified_at IS NOT NULL;
    INSERT INTO notification_deliveries (notification_id, channel, target)
    SELECT NEW.id, 'webhook', w.id::text FROM webhooks w WHERE w.user_id = NEW.user_id;
    PERFORM pg_notify('sarang_notifications', NEW.id::text);
    RETURN NULL;
END;
$$;
