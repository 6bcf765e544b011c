-- First schema: people, homes, devices and their readings.
-- Applied by `sarangctl migrate` inside one transaction; never edit after it is applied.

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{3,64}$'),
    password_hash text NOT NULL,              -- argon2id encoded string
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    require_password_change boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE homes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_id, name)
);

CREATE TABLE devices (
    -- MQTT username and client id: no wildcards, no level separator (see core/device_kinds).
    id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind            text NOT NULL,
    topic_prefix    text NOT NULL UNIQUE CHECK (topic_prefix ~ '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,7}$'),
    owner_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    home_id         bigint REFERENCES homes (id) ON DELETE SET NULL,
    state           text NOT NULL DEFAULT 'registered'
                    CHECK (state IN ('pre_registered', 'registered', 'claimed', 'revoked')),
    credential_hash bytea CHECK (credential_hash IS NULL OR length(credential_hash) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz,
    online          boolean NOT NULL DEFAULT false
);
CREATE INDEX devices_owner_idx ON devices (owner_id);

-- One row per metric per message, keyed by the broker's receive time: writing the same captured
-- message twice keeps it once. A QoS 1 redelivery is a new message to the broker, with a new
-- receive time; deduplicating those needs a message id (issue #6).
CREATE TABLE readings (
    device_id   text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    metric      text NOT NULL,
    received_at timestamptz NOT NULL,
    value       double precision NOT NULL,
    PRIMARY KEY (device_id, metric, received_at)
);

-- The broker's access plugin keeps an in-memory snapshot of devices; every change to a device
-- tells it which one, so it can reload that row (and kick a revoked session).
CREATE FUNCTION notify_device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('sarang_devices', OLD.id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        PERFORM pg_notify('sarang_devices', OLD.id);
    END IF;
    PERFORM pg_notify('sarang_devices', NEW.id);
    RETURN NEW;
END;
$$;

-- Presence and last-seen updates do not change access: leave the snapshot alone for them.
CREATE TRIGGER devices_changed
    AFTER INSERT OR DELETE OR UPDATE OF id, kind, topic_prefix, state, credential_hash ON devices
    FOR EACH ROW EXECUTE FUNCTION notify_device_changed();
