-- Integration identities (issue #18 item 5): Telegraf, Node-RED, Home Assistant or a data lake
-- reading the broker. Each connects as MQTT username "integration:<name>" with a 256-bit token
-- stored as HMAC-SHA256(auth.pepper, token), like a device credential, and may only SUBSCRIBE and
-- READ within its read_filters (docs/integrations.md). Revoked rows stay for the record; the
-- broker loads only the live ones.

CREATE TABLE integrations (
    name            text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    credential_hash bytea NOT NULL UNIQUE CHECK (length(credential_hash) = 32),
    read_filters    text[] NOT NULL
        CHECK (cardinality(read_filters) BETWEEN 1 AND 32 AND array_position(read_filters, NULL) IS NULL),
    created_at      timestamptz NOT NULL DEFAULT now(),
    rotated_at      timestamptz,
    revoked_at      timestamptz
);

-- There are few integrations: the broker reloads them all on any change.
CREATE FUNCTION notify_integrations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sarang_integrations', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER integrations_changed
    AFTER INSERT OR DELETE OR UPDATE ON integrations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_integrations_changed();

-- An admin's app session reads every device's topics: a change of role must reach the broker.
CREATE TRIGGER users_role_changed
    AFTER UPDATE OF role ON users
    FOR EACH ROW EXECUTE FUNCTION notify_sessions_changed();
