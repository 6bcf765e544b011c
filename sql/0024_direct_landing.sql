-- The telemetry writer's direct landing path (issue #20 item 2, docs/telemetry.md "Landing").
--
-- A batch whose readings are all new is COPYed straight into readings (no staging table, no
-- INSERT .. ON CONFLICT, no RETURNING), and its rollups and latest values, summed by the writer,
-- arrive as a few hundred array elements with the call instead of being derived from 10,000
-- returned rows. Whether every reading is new is decided by readings' own unique key (on the
-- partitioned parent since 0022): a reading that is already there (a journal replay after a
-- broker crash, a QoS 1 redelivery carrying the device's timestamp) fails the COPY with a unique
-- violation, the writer rolls the whole transaction back and lands that batch through
-- sarang_land_staged() (0006), which drops what exists and counts only the new rows. So exactly-once still rests on the key, and nothing derived is counted twice: the
-- summaries are committed only together with the COPY that proved all their readings new.
--
-- sarang_land_staged(), sarang_create_staging() and the staging tables are left as they were:
-- the deduplicating path, the sidecar's HTTP ingest and a v0.1.0 broker still running during an
-- online upgrade land through them.

-- After the writer's COPY into readings, in the same transaction: adds the batch's rollups (r_*:
-- one element per device, metric, bucket width and bucket) and latest values (l_*: one per
-- device and metric), lands staged events and statuses as 0006 does, moves last_seen_at and
-- notifies sarang_device_activity. The writer locked the batch's devices (FOR KEY SHARE) before
-- the COPY, so none of them can be deleted or renamed before this commits; the joins below are
-- for the staged messages only, as in 0006. Returns the number of new events.
CREATE FUNCTION sarang_land_direct(
    r_device text[], r_metric text[], r_seconds integer[], r_bucket timestamptz[],
    r_samples bigint[], r_total double precision[], r_low double precision[],
    r_high double precision[],
    l_device text[], l_metric text[], l_at timestamptz[], l_value double precision[],
    OUT new_events bigint) LANGUAGE plpgsql AS $$
DECLARE
    notified bigint;
BEGIN
    INSERT INTO reading_rollups AS r
        (device_id, metric, bucket_seconds, bucket, samples, total, low, high)
    SELECT * FROM unnest(r_device, r_metric, r_seconds, r_bucket, r_samples, r_total, r_low,
                         r_high)
    ON CONFLICT (device_id, metric, bucket_seconds, bucket) DO UPDATE
    SET samples = r.samples + excluded.samples, total = r.total + excluded.total,
        low = least(r.low, excluded.low), high = greatest(r.high, excluded.high);

    INSERT INTO latest_readings AS l (device_id, metric, at, value)
    SELECT * FROM unnest(l_device, l_metric, l_at, l_value)
    ON CONFLICT (device_id, metric) DO UPDATE SET at = excluded.at, value = excluded.value
    WHERE excluded.at >= l.at;

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

    -- l_* hold each metric's newest reading, so their maximum per device is the newest reading
    -- of the device.
    WITH seen AS (
        SELECT device_id, max(at) AS at FROM (
            SELECT * FROM unnest(l_device, l_at) AS l (device_id, at)
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
