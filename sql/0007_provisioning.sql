-- Provisioning (issue #5): factory secrets for self-registration, label PINs, SoftAP
-- pre-registrations, and the topics the broker keeps for itself.

-- A device's label PIN (argon2id): proves physical possession in auto-registration (a factory
-- reset re-keys the device only with it) and in a user's claim. NULL: the device cannot be
-- re-registered or claimed by PIN (sarangctl-made devices).
ALTER TABLE devices
    ADD COLUMN pin_hash text,
    ADD COLUMN registered_at timestamptz,
    ADD COLUMN registered_via text CHECK (registered_via IN ('mqtt', 'http', 'softap', 'sarangctl'));

-- sarang/... is the broker's own topic space (sarang/provision/<client id>/request|response):
-- no device prefix may lie there, or a device could publish into another client's provisioning
-- exchange.
ALTER TABLE devices ADD CONSTRAINT devices_topic_prefix_not_reserved
    CHECK (topic_prefix !~ '^sarang(/|$)');

-- The shared secret baked into firmware. Stored as HMAC-SHA256(auth.pepper, secret): it has full
-- entropy. Rotation keeps the old one working until not_after (its grace), then it is dead.
CREATE TABLE factory_secrets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    secret_hash bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    not_after   timestamptz            -- NULL: valid until rotated or revoked
);

-- The broker's provisioning plugin keeps the live secrets in memory.
CREATE FUNCTION notify_factory_secrets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sarang_factory_secrets', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER factory_secrets_changed
    AFTER INSERT OR UPDATE OR DELETE ON factory_secrets
    FOR EACH STATEMENT EXECUTE FUNCTION notify_factory_secrets_changed();

-- SoftAP pre-registration (seed 002): the app reserves a device and its credential before the
-- phone loses internet on the device's access point. The device row exists with state
-- 'pre_registered' from the start (so its credential works at once); an unused one expires and
-- is revoked by the broker's sweeper.
CREATE TABLE pre_registrations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id       text NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    home_id         bigint REFERENCES homes (id) ON DELETE SET NULL,
    chip_id         text NOT NULL CHECK (length(chip_id) BETWEEN 1 AND 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    provisioned_at  timestamptz,
    expired_at      timestamptz
);
CREATE INDEX pre_registrations_pending_idx ON pre_registrations (expires_at)
    WHERE provisioned_at IS NULL AND expired_at IS NULL;

-- The device's first admitted connection (the presence writer stamps last_connected_at) marks a
-- pre-registration provisioned and the device claimed by the user who pre-registered it.
CREATE FUNCTION mark_pre_registration_provisioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'pre_registered' AND NEW.state = 'pre_registered'
       AND NEW.last_connected_at IS NOT NULL
       AND NEW.last_connected_at IS DISTINCT FROM OLD.last_connected_at THEN
        UPDATE pre_registrations SET provisioned_at = NEW.last_connected_at
        WHERE device_id = NEW.id AND provisioned_at IS NULL AND expired_at IS NULL;
        IF FOUND THEN
            NEW.state := 'claimed';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER devices_pre_registration_connected
    BEFORE UPDATE OF last_connected_at ON devices
    FOR EACH ROW EXECUTE FUNCTION mark_pre_registration_provisioned();

-- Seed 002's app pre-registers with a temporary chip id; the device reports its real one in a
-- status message ({"status":"online","chip_id":"A4CF12EF5678"}), which replaces it.
ALTER TABLE pre_registrations ADD COLUMN reported_chip_id text;

CREATE FUNCTION record_reported_chip_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(NEW.payload) = 'object'
       AND NEW.payload->>'chip_id' ~ '^[A-Za-z0-9_:.-]{1,64}$' THEN
        UPDATE pre_registrations SET reported_chip_id = NEW.payload->>'chip_id'
        WHERE device_id = NEW.device_id
          AND reported_chip_id IS DISTINCT FROM NEW.payload->>'chip_id';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER device_reported_status_chip_id
    AFTER INSERT OR UPDATE OF payload ON device_reported_status
    FOR EACH ROW EXECUTE FUNCTION record_reported_chip_id();
