-- The REST sidecar's accounts (issue #4): first-login state, hashed PINs, session scopes, the
-- audit log and the brute-force counters.

ALTER TABLE users
    ADD COLUMN is_first_login  boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN app_pin_hash    text,   -- argon2id; the app's quick-unlock PIN
    ADD COLUMN door_pin_hash   text,   -- argon2id; the keypad PIN of the user's door lock
    ADD COLUMN pins_updated_at timestamptz;

-- Usernames are also MQTT usernames and people's names: "Admin" and "admin" would be two
-- look-alike accounts. Lookups stay exact; uniqueness ignores case.
CREATE UNIQUE INDEX users_username_lower_idx ON users (lower(username));

-- public_id is what clients see as session.id; the row id stays internal. A 'setup' session
-- (password change pending) reaches only first-setup, session and logout, and never MQTT.
ALTER TABLE sessions
    ADD COLUMN public_id      uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    ADD COLUMN scope          text NOT NULL DEFAULT 'full' CHECK (scope IN ('full', 'setup')),
    ADD COLUMN client_address text;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

DROP TRIGGER sessions_changed ON sessions;
CREATE TRIGGER sessions_changed
    AFTER INSERT OR DELETE OR UPDATE OF token_hash, expires_at, revoked_at, user_id, scope ON sessions
    FOR EACH ROW EXECUTE FUNCTION notify_sessions_changed();

-- Device-facing HTTP endpoints find the device by its presented credential's hash.
CREATE INDEX devices_credential_idx ON devices (credential_hash) WHERE credential_hash IS NOT NULL;
CREATE INDEX devices_previous_credential_idx ON devices (previous_credential_hash)
    WHERE previous_credential_hash IS NOT NULL;

-- Every authentication decision worth asking about later. Secrets never appear in detail.
CREATE TABLE audit_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    user_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    username       text,          -- as presented, also when no such user exists
    client_address text,
    action         text NOT NULL, -- login, verify_pin, change_password, ...
    outcome        text NOT NULL CHECK (outcome IN ('success', 'failure', 'locked', 'denied')),
    detail         jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);

-- Failure counters for core/lockout: one row per (what is checked, who or where).
CREATE TABLE auth_throttle (
    scope           text NOT NULL,  -- login-account, login-address, pin, ...
    subject         text NOT NULL,  -- username, user id or client address
    failures        integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX auth_throttle_last_failure_idx ON auth_throttle (last_failure_at);
