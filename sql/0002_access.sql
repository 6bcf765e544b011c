-- Access plugin, issue #3: credential rotation with a grace period, presence per broker node,
-- and topic prefixes that never nest (a device's topics must not fall under another's prefix).

ALTER TABLE devices
    ADD COLUMN previous_credential_hash bytea
        CHECK (previous_credential_hash IS NULL OR length(previous_credential_hash) = 32),
    ADD COLUMN previous_credential_expires_at timestamptz,
    ADD COLUMN online_node text,
    ADD COLUMN last_connected_at timestamptz,
    ADD COLUMN last_disconnected_at timestamptz,
    ADD CONSTRAINT previous_credential_has_expiry
        CHECK ((previous_credential_hash IS NULL) = (previous_credential_expires_at IS NULL));

-- Presence and last-seen rewrite device rows all day: leave room on each page so those updates
-- stay heap-only (HOT) and never touch the four indexes.
ALTER TABLE devices SET (fillfactor = 70);

-- Every online/offline change, for the dashboard's presence history.
CREATE TABLE device_presence (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    node      text NOT NULL,
    online    boolean NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX device_presence_device_at_idx ON device_presence (device_id, at DESC);

-- The snapshot also follows the previous credential and its expiry.
DROP TRIGGER devices_changed ON devices;
CREATE TRIGGER devices_changed
    AFTER INSERT OR DELETE OR UPDATE OF id, kind, topic_prefix, state, credential_hash,
        previous_credential_hash, previous_credential_expires_at ON devices
    FOR EACH ROW EXECUTE FUNCTION notify_device_changed();

-- hydro/pi-1 and hydro/pi-1/x would let pi-1 publish under the other device's prefix.
-- Both directions are index lookups (ancestors by equality, descendants by a byte-order range
-- on the "C" collation index), so bulk registration stays linear.
CREATE INDEX devices_topic_prefix_bytes_idx ON devices ((topic_prefix COLLATE "C"));

-- enable_seqscan = off for the function alone: during a bulk INSERT ... SELECT the table's
-- statistics still say "empty", and a sequential scan per row would make the load quadratic.
CREATE FUNCTION refuse_nested_topic_prefix() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
    levels text[] := string_to_array(NEW.topic_prefix, '/');
    ancestors text[] := '{}';
    other text;
BEGIN
    -- Serialise prefix changes so two concurrent inserts cannot nest each other.
    PERFORM pg_advisory_xact_lock(hashtext('sarang.devices.topic_prefix'));
    FOR depth IN 1 .. coalesce(array_length(levels, 1), 0) - 1 LOOP
        ancestors := ancestors || array_to_string(levels[1:depth], '/');
    END LOOP;
    SELECT id INTO other FROM devices
    WHERE id <> NEW.id
      AND (topic_prefix = ANY (ancestors)
           OR ((topic_prefix COLLATE "C") > NEW.topic_prefix || '/'
               AND (topic_prefix COLLATE "C") < NEW.topic_prefix || '0'))
    LIMIT 1;
    IF other IS NOT NULL THEN
        RAISE EXCEPTION 'topic prefix % nests with the prefix of device %', NEW.topic_prefix, other
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER devices_topic_prefix_not_nested
    BEFORE INSERT OR UPDATE OF topic_prefix ON devices
    FOR EACH ROW EXECUTE FUNCTION refuse_nested_topic_prefix();
