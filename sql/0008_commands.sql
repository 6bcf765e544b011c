-- The commands outbox (issue #7, docs/commands.md): every backend -> device message. The sidecar
-- inserts a row (the insert notifies sarang_commands with the device id); the broker node that
-- holds the device's session publishes it to that session and records it sent; the device's
-- answer settles it (acked or failed); its deadline expires it. States only move forward.

CREATE TABLE commands (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Delivery order within a device: created_at is the transaction's time, the same for every
    -- command queued in one transaction.
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    device_id     text NOT NULL REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    -- Under the device's topic prefix; a command topic of its kind (checked by the writer).
    subtopic      text NOT NULL CHECK (subtopic ~ '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,7}$'),
    -- As published; "id" is always this command's id (set below), echoed by Sarang firmware.
    payload       jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    -- The value of the kind's correlation field (orderId, action) for answers without an id.
    correlation   text,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'sent', 'acked', 'failed', 'expired')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    sent_at       timestamptz,              -- the latest publish
    sent_node     text,                     -- the broker node that published it
    -- devices.last_connected_at when it was published: a different value now means the device
    -- reconnected since, so the publish may have gone to a session that no longer exists.
    sent_connection timestamptz,
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    acked_at      timestamptz,              -- when the device's answer arrived
    finished_at   timestamptz,              -- when it became acked, failed or expired
    result        jsonb,                    -- the answer as the device sent it
    error         text,
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    CHECK (expires_at > created_at),
    CHECK ((state IN ('acked', 'failed', 'expired')) = (finished_at IS NOT NULL))
);

-- The open commands of a device, in order: what a (re)connect delivers and an answer settles.
CREATE INDEX commands_open_idx ON commands (device_id, seq) WHERE state IN ('queued', 'sent');
-- Open commands whose deadline is due.
CREATE INDEX commands_deadline_idx ON commands (expires_at) WHERE state IN ('queued', 'sent');
-- A device's history, newest first.
CREATE INDEX commands_history_idx ON commands (device_id, seq DESC);

CREATE FUNCTION commands_stamp_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := NEW.payload || jsonb_build_object('id', NEW.id::text);
    RETURN NEW;
END;
$$;
CREATE TRIGGER commands_id_in_payload BEFORE INSERT ON commands
    FOR EACH ROW EXECUTE FUNCTION commands_stamp_id();

-- Every writer updates WHERE state = <the expected state>, so a late or duplicate answer finds
-- nothing to change. This trigger is the backstop: no statement can move a command backwards or
-- out of a final state, or rewrite what was asked.
CREATE FUNCTION commands_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.payload <> OLD.payload OR NEW.subtopic <> OLD.subtopic
       OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'command % cannot be rewritten', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NOT ((OLD.state = NEW.state AND OLD.state NOT IN ('acked', 'failed', 'expired'))
            OR (OLD.state = 'queued' AND NEW.state IN ('sent', 'expired'))
            OR (OLD.state = 'sent' AND NEW.state IN ('acked', 'failed', 'expired'))) THEN
        RAISE EXCEPTION 'command % cannot go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER commands_monotonic BEFORE UPDATE ON commands
    FOR EACH ROW EXECUTE FUNCTION commands_forward_only();

-- Every broker node listens; the one holding the device's session delivers. Notifications are
-- sent at commit, so a command queued in a caller's transaction is seen only if it commits.
CREATE FUNCTION notify_command_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sarang_commands', NEW.device_id);
    RETURN NEW;
END;
$$;
CREATE TRIGGER commands_queued AFTER INSERT ON commands
    FOR EACH ROW EXECUTE FUNCTION notify_command_queued();
