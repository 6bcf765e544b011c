-- Telemetry (issue #6): every device -> backend data message lands here, in batches, exactly
-- once. Writers (the broker's telemetry plugin with COPY, the sidecar's HTTP ingest) fill two
-- session-local staging tables and call sarang_land_staged(); everything derived from a row
-- (rollups, latest values, last seen, status history, live-update notifications) is counted
-- only for rows that really were new, so a replayed or redelivered message changes nothing.

-- A reading's time is the device's own timestamp when it sent a plausible one, else the
-- broker's receive time (unique per device on one broker node).
ALTER TABLE readings RENAME COLUMN received_at TO at;
-- The high-volume tables carry no foreign key to devices: a key check locks the device row once
-- per inserted row and doubled the cost of landing a batch. Landing joins devices instead (rows
-- of a device deleted meanwhile are skipped), and the trigger at the end of this file removes
-- or renames a device's telemetry with the device.
ALTER TABLE readings DROP CONSTRAINT readings_device_id_fkey;
-- Rows arrive in time order, so a BRIN index answers "everything in this range" for months of
-- data at a few kilobytes; the primary key serves one device's metric over time.
CREATE INDEX readings_at_brin_idx ON readings USING brin (at) WITH (pages_per_range = 32);

-- The newest value of each metric of each device: the fleet view without scanning readings.
CREATE TABLE latest_readings (
    device_id text NOT NULL,
    metric    text NOT NULL,
    at        timestamptz NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (device_id, metric)
);

-- Per-minute and per-hour aggregates for charts over long ranges; buckets are cut in UTC, so an
-- hour is the same hour whatever the session's time zone (India is UTC+05:30).
CREATE TABLE reading_rollups (
    device_id      text NOT NULL,
    metric         text NOT NULL,
    bucket_seconds integer NOT NULL CHECK (bucket_seconds IN (60, 3600)),
    bucket         timestamptz NOT NULL,
    samples        bigint NOT NULL CHECK (samples > 0),
    total          double precision NOT NULL,
    low            double precision NOT NULL,
    high           double precision NOT NULL,
    PRIMARY KEY (device_id, metric, bucket_seconds, bucket)
);

-- Per-device limits that classify a metric's value: inside [normal_low, normal_high] normal,
-- inside [warning_low, warning_high] warning, else critical. NULL: no limit on that side.
-- Devices without a row use their kind's defaults (core/device_kinds.cpp).
CREATE TABLE metric_thresholds (
    device_id    text NOT NULL REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    metric       text NOT NULL CHECK (metric ~ '^[a-z_]{1,32}$'),
    normal_low   double precision,
    normal_high  double precision,
    warning_low  double precision,
    warning_high double precision,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, metric),
    CHECK (normal_low IS NULL OR normal_high IS NULL OR normal_low <= normal_high),
    CHECK (warning_low IS NULL OR normal_low IS NULL OR warning_low <= normal_low),
    CHECK (warning_high IS NULL OR normal_high IS NULL OR warning_high >= normal_high)
);

-- Messages that are more than numbers (events, photo status, lock alerts, vending telemetry
-- with slot levels, status changes), as the device sent them.
CREATE TABLE device_events (
    device_id text NOT NULL,
    subtopic  text NOT NULL,
    at        timestamptz NOT NULL,
    payload   jsonb NOT NULL,
    PRIMARY KEY (device_id, subtopic, at)
);
CREATE INDEX device_events_at_brin_idx ON device_events USING brin (at);

-- What the device itself last said on its status topic, beside the transport presence the
-- access plugin keeps in devices.online: a device can be connected and report "offline" (its
-- last will from a previous session) or report ONLINE while its connection is half-dead.
CREATE TABLE device_reported_status (
    device_id text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    online    boolean,          -- NULL: the status says nothing about it
    payload   jsonb NOT NULL,   -- "online", "offline" or the JSON object as sent
    at        timestamptz NOT NULL
);

-- Staging tables live per session and empty themselves at commit.
CREATE FUNCTION sarang_create_staging() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS staged_readings (
        device_id text NOT NULL,
        metric    text NOT NULL,
        at        timestamptz NOT NULL,
        value     double precision NOT NULL
    ) ON COMMIT DELETE ROWS;
    -- shape: 'event' (kept as history) or 'status' (the device's reported status).
    CREATE TEMP TABLE IF NOT EXISTS staged_messages (
        device_id text NOT NULL,
        subtopic  text NOT NULL,
        shape     text NOT NULL,
        at        timestamptz NOT NULL,
        payload   jsonb NOT NULL,
        online    boolean
    ) ON COMMIT DELETE ROWS;
END;
$$;

-- Lands what is staged; returns the number of new readings and of new events. Rows of devices
-- deleted meanwhile are skipped. Listeners of sarang_device_activity get the ids of the devices
-- that had something new, at most 100 per notification (payloads are limited to 8000 bytes).
CREATE FUNCTION sarang_land_staged(OUT new_readings bigint, OUT new_events bigint)
LANGUAGE plpgsql AS $$
DECLARE
    notified bigint;
BEGIN
    WITH fresh AS (
        INSERT INTO readings (device_id, metric, at, value)
        SELECT s.device_id, s.metric, s.at, s.value
        FROM pg_temp.staged_readings s JOIN devices d ON d.id = s.device_id
        ON CONFLICT DO NOTHING
        RETURNING device_id, metric, at, value
    ), rollups AS (
        INSERT INTO reading_rollups AS r
            (device_id, metric, bucket_seconds, bucket, samples, total, low, high)
        SELECT device_id, metric, width.seconds, date_trunc(width.unit, at, 'UTC'), count(*),
               sum(value), min(value), max(value)
        FROM fresh CROSS JOIN (VALUES (60, 'minute'), (3600, 'hour')) AS width (seconds, unit)
        GROUP BY device_id, metric, width.seconds, date_trunc(width.unit, at, 'UTC')
        ON CONFLICT (device_id, metric, bucket_seconds, bucket) DO UPDATE
        SET samples = r.samples + excluded.samples, total = r.total + excluded.total,
            low = least(r.low, excluded.low), high = greatest(r.high, excluded.high)
    ), latest AS (
        INSERT INTO latest_readings AS l (device_id, metric, at, value)
        SELECT DISTINCT ON (device_id, metric) device_id, metric, at, value
        FROM fresh ORDER BY device_id, metric, at DESC
        ON CONFLICT (device_id, metric) DO UPDATE SET at = excluded.at, value = excluded.value
        WHERE excluded.at >= l.at
    )
    SELECT count(*) INTO new_readings FROM fresh;

    WITH fresh AS (
        INSERT INTO device_events (device_id, subtopic, at, payload)
        SELECT s.device_id, s.subtopic, s.at, s.payload
        FROM pg_temp.staged_messages s JOIN devices d ON d.id = s.device_id
        WHERE s.shape = 'event'
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO new_events FROM fresh;

    -- A status is history only when it changed; the newest one is the device's current status.
    WITH newest AS (
        SELECT DISTINCT ON (s.device_id) s.device_id, s.subtopic, s.at, s.payload, s.online
        FROM pg_temp.staged_messages s JOIN devices d ON d.id = s.device_id
        WHERE s.shape = 'status'
        ORDER BY s.device_id, s.at DESC
    ), changed AS (
        INSERT INTO device_events (device_id, subtopic, at, payload)
        SELECT n.device_id, n.subtopic, n.at, n.payload
        FROM newest n LEFT JOIN device_reported_status p ON p.device_id = n.device_id
        WHERE p.device_id IS NULL OR (n.at > p.at AND n.payload IS DISTINCT FROM p.payload)
        ON CONFLICT DO NOTHING
    )
    INSERT INTO device_reported_status AS p (device_id, online, payload, at)
    SELECT device_id, online, payload, at FROM newest
    ON CONFLICT (device_id) DO UPDATE
    SET online = excluded.online, payload = excluded.payload, at = excluded.at
    WHERE excluded.at > p.at;

    WITH seen AS (
        SELECT device_id, max(at) AS at FROM (
            SELECT device_id, at FROM pg_temp.staged_readings
            UNION ALL SELECT device_id, at FROM pg_temp.staged_messages
        ) a GROUP BY device_id
    ), touched AS (
        UPDATE devices d SET last_seen_at = seen.at
        FROM seen
        WHERE d.id = seen.device_id AND (d.last_seen_at IS NULL OR d.last_seen_at < seen.at)
        RETURNING d.id
    )
    SELECT count(*) INTO notified FROM (
        SELECT pg_notify('sarang_device_activity', string_agg(id, ','))
        FROM (SELECT id, (row_number() OVER () - 1) / 100 AS chunk FROM touched) numbered
        GROUP BY chunk
    ) sent;
END;
$$;

-- Presence changes reach the same listeners as new data.
CREATE FUNCTION notify_presence_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sarang_device_activity', NEW.device_id);
    RETURN NEW;
END;
$$;
CREATE TRIGGER device_presence_changed AFTER INSERT ON device_presence
    FOR EACH ROW EXECUTE FUNCTION notify_presence_changed();

-- What the foreign keys did for the telemetry tables, once per device instead of once per row.
CREATE FUNCTION follow_device_in_telemetry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM readings WHERE device_id = OLD.id;
        DELETE FROM latest_readings WHERE device_id = OLD.id;
        DELETE FROM reading_rollups WHERE device_id = OLD.id;
        DELETE FROM device_events WHERE device_id = OLD.id;
        RETURN OLD;
    END IF;
    IF OLD.id = NEW.id THEN
        RETURN NEW;
    END IF;
    UPDATE readings SET device_id = NEW.id WHERE device_id = OLD.id;
    UPDATE latest_readings SET device_id = NEW.id WHERE device_id = OLD.id;
    UPDATE reading_rollups SET device_id = NEW.id WHERE device_id = OLD.id;
    UPDATE device_events SET device_id = NEW.id WHERE device_id = OLD.id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER devices_telemetry_follows
    AFTER DELETE OR UPDATE OF id ON devices
    FOR EACH ROW EXECUTE FUNCTION follow_device_in_telemetry();
