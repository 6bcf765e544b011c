-- Device cookies for sign-in (issue #19 item 6; OWASP "Slow Down Online Guessing Attacks with
-- Device Cookies"). A browser or app that signed in as a user gets a token naming the user and a
-- random nonce, signed with a key derived from auth.pepper; only SHA-256 of the nonce is stored.
-- A sign-in that presents a live cookie for its user is throttled by that cookie alone
-- (auth_throttle scope 'login-cookie', subject = id), so other clients' failures, on the same
-- shared address or against the same account, do not lock it out. Expand-only: v0.1.0 never
-- reads this table.

CREATE TABLE device_cookies (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nonce_hash   bytea NOT NULL UNIQUE CHECK (length(nonce_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX device_cookies_user ON device_cookies (user_id, last_used_at);
