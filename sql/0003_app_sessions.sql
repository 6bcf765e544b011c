-- App sessions (issue #3 uses them, the REST sidecar of issue #4 creates them): an opaque
-- 256-bit bearer token, stored as HMAC-SHA256(auth.pepper, token). The same token works as the
-- MQTT password of the user's username, read-only on the topics of the devices the user owns.

CREATE TABLE sessions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- The broker keeps the live sessions of each user in memory: tell it whose changed.
CREATE FUNCTION notify_sessions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('sarang_sessions', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
    ELSE
        -- A session moved to another user leaves the old one too.
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('sarang_sessions', NEW.user_id::text);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM pg_notify('sarang_sessions', OLD.user_id::text);
        ELSE
            PERFORM pg_notify('sarang_sessions', OLD.user_id::text);
            IF NEW.user_id <> OLD.user_id THEN
                PERFORM pg_notify('sarang_sessions', NEW.user_id::text);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_changed
    AFTER INSERT OR DELETE OR UPDATE OF token_hash, expires_at, revoked_at, user_id ON sessions
    FOR EACH ROW EXECUTE FUNCTION notify_sessions_changed();

CREATE TRIGGER users_changed
    AFTER DELETE OR UPDATE OF username ON users
    FOR EACH ROW EXECUTE FUNCTION notify_sessions_changed();

-- Who owns a device decides which app sessions may read it.
DROP TRIGGER devices_changed ON devices;
CREATE TRIGGER devices_changed
    AFTER INSERT OR DELETE OR UPDATE OF id, kind, topic_prefix, state, credential_hash,
        previous_credential_hash, previous_credential_expires_at, owner_id ON devices
    FOR EACH ROW EXECUTE FUNCTION notify_device_changed();
