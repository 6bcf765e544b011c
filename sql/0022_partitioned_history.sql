-- Partitioned history (issue #20): the five tables that grow with time become native range
-- partitions managed by pg_partman (schema partman, installed by a superuser with
-- sql/superuser/pg_partman.sql before this runs). Retention drops whole partitions; sarang-httpd's
-- retention worker runs partman.run_maintenance() and keeps part_config.retention in step with
-- sarang.conf (docs/operations.md, "Partitions and retention").
--
--   readings         at      daily    telemetry.retention_days       (90)
--   device_events    at      daily    telemetry.retention_days       (90)
--   reading_rollups  bucket  monthly  telemetry.rollup_retention_days (730)
--   device_presence  at      daily    presence.retention_days        (90)
--   audit_log        at      monthly  audit.retention_days           (365)
--
-- Names and columns stay, so code that reads and lands these tables (also v0.1.0's, running while
-- this migrates; docs/upgrading.md) is unchanged. Every key that must be unique includes the
-- partition column: device_presence and audit_log are keyed (id, at) now.
--
-- How an existing table moves without losing a row or stopping landing for long. The whole file
-- is one transaction, so landing queues behind its locks until it commits (devices still get
-- their PUBACKs: the broker journals first and lands later). Per table:
--   1. The table is renamed aside, with its indexes. It will be the new set's DEFAULT partition:
--      its rows are never copied or moved, its indexes are not rebuilt.
--   2. It gets CHECK (column < cutover), the cutover being the start of the next UTC day
--      (month for monthly tables) at least an hour ahead: no row landed so far can be later (a
--      device time is at most 5 minutes ahead). Validating that CHECK is this migration's one
--      pass over the old rows: a sequential read, no write. The whole file took 1.5 s for 5
--      million readings (635 MB with indexes), 200,000 presence and 200,000 audit rows on the
--      2-core test machine. If some row is later after all, the migration fails and nothing
--      changes. An operator who wants no pass
--      at all under the lock adds and validates the constraint beforehand (docs/operations.md);
--      this file then takes the cutover from it.
--   3. The partitioned table is created under the old name with the same columns, keys, checks,
--      foreign keys and triggers; pg_partman creates the partitions from the cutover on, then
--      the old table replaces pg_partman's empty default. PostgreSQL proves from the validated
--      CHECK that the default holds nothing of the partitions' ranges and skips the scan
--      ATTACH (and every later partition pg_partman adds) would otherwise make.
-- Rows before the cutover stay in the default partition and keep landing there until the
-- cutover; the retention worker empties that partition (TRUNCATE, no row DELETE) once the
-- cutover itself is older than the table's retention, and drops the CHECK with it.
-- A fresh install (an empty table) skips all of that: its partitions start 4 intervals back.
--
-- Partition bounds are UTC days and months: pg_partman cuts them in the session's time zone, so
-- this file and the retention worker both run in UTC.

DO $$
BEGIN
    IF to_regproc('partman.create_parent') IS NULL THEN
        RAISE EXCEPTION 'pg_partman is not installed in schema partman'
            USING HINT = 'a superuser runs sql/superuser/pg_partman.sql on this database first '
                         '(Debian package postgresql-15-partman; docs/operations.md)';
    END IF;
END;
$$;

SET LOCAL TimeZone = 'UTC';

-- Which default partitions still hold rows from before partitioning, and until when: the
-- retention worker empties each one once its cutover is older than the table's retention.
CREATE TABLE partition_cutovers (
    parent_table  text PRIMARY KEY,   -- 'public.readings'
    default_table text NOT NULL,      -- 'public.readings_default'
    cutover       timestamptz NOT NULL
);

-- Steps 1 and 2: renames the table (and its indexes) to <table>_unpartitioned and returns the
-- cutover its CHECK holds, or NULL when the table was empty and was dropped instead.
CREATE FUNCTION pg_temp.set_aside(tbl text, col text, unit text) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    aside   text := tbl || '_unpartitioned';
    cutover timestamptz;
    given   text;
    empty   boolean;
    idx     record;
BEGIN
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', tbl);
    EXECUTE format('SELECT NOT EXISTS (SELECT FROM %I)', tbl) INTO STRICT empty;
    IF empty THEN
        EXECUTE format('DROP TABLE %I', tbl);
        RETURN NULL;
    END IF;
    -- Index names are per schema: the parent's take the old names, the old ones become the
    -- default partition's (<table>_default_pkey ...).
    FOR idx IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = tbl::regclass LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', idx.relname,
                       left(tbl || '_default' || substr(idx.relname, length(tbl) + 1), 63));
    END LOOP;
    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, aside);
    -- A constraint the operator made and validated beforehand (docs/operations.md): its
    -- cutover, and no scan here.
    SELECT (regexp_match(pg_get_constraintdef(oid), '''([^'']+)'''))[1] INTO given
    FROM pg_constraint
    WHERE conrelid = aside::regclass AND conname = tbl || '_before_partitions' AND convalidated;
    IF given IS NOT NULL THEN
        cutover := given::timestamptz;
        IF cutover <> date_trunc(unit, cutover, 'UTC') THEN
            RAISE EXCEPTION 'constraint %_before_partitions: % is not the start of a UTC %',
                tbl, cutover, unit;
        END IF;
        RETURN cutover;
    END IF;
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT IF EXISTS %I', aside,
                   tbl || '_before_partitions');
    cutover := date_trunc(unit, now() + interval '1 hour', 'UTC') + ('1 ' || unit)::interval;
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I < %L)', aside,
                   tbl || '_before_partitions', col, cutover);
    RETURN cutover;
END;
$$;

-- The whole move of one table. parent_ddl creates the partitioned table under the old name with
-- everything the old one had (keys, checks, foreign keys, indexes, triggers). Constraints are
-- named as the old table's are: ATTACH matches checks by name, and the old names are taken.
CREATE FUNCTION pg_temp.move_to_partitions(tbl text, col text, unit text, premake int,
                                  retention text, parent_ddl text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    aside   text := tbl || '_unpartitioned';
    cutover timestamptz := pg_temp.set_aside(tbl, col, unit);
    ddl     text;
    old_seq text;
    seq     record;
BEGIN
    -- The old table's triggers are the parent's now (a partition gets them from its parent).
    IF cutover IS NOT NULL THEN
        FOR ddl IN SELECT tgname FROM pg_trigger WHERE tgrelid = aside::regclass
                   AND NOT tgisinternal LOOP
            EXECUTE format('DROP TRIGGER %I ON %I', ddl, aside);
        END LOOP;
    END IF;
    FOREACH ddl IN ARRAY parent_ddl LOOP
        EXECUTE ddl;
    END LOOP;
    PERFORM partman.create_parent(p_parent_table := 'public.' || tbl, p_control := col,
                                  p_type := 'native', p_interval := '1 ' || unit,
                                  p_premake := premake, p_start_partition := cutover::text);
    -- Dropped partitions are gone, not detached and kept; maintenance makes partitions ahead
    -- even while nothing new arrives, and never reads the default for its newest row (the old
    -- table has no index that answers that).
    UPDATE partman.part_config
    SET retention = move_to_partitions.retention, retention_keep_table = false,
        retention_keep_index = false, infinite_time_partitions = true, ignore_default_data = true
    WHERE parent_table = 'public.' || tbl;
    IF cutover IS NULL THEN
        RETURN;
    END IF;
    -- The parent's identity continues the old table's numbering.
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = aside::regclass AND attname = 'id'
               AND attidentity <> '') THEN
        old_seq := pg_get_serial_sequence(aside, 'id');
        EXECUTE format('SELECT last_value, is_called FROM %s', old_seq) INTO seq;
        PERFORM setval(pg_get_serial_sequence(tbl, 'id'), seq.last_value, seq.is_called);
    END IF;
    -- The old table replaces pg_partman's empty default. ATTACH moves no row, and the
    -- validated CHECK spares it the scan.
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', tbl, tbl || '_default');
    EXECUTE format('DROP TABLE %I', tbl || '_default');
    EXECUTE format('ALTER TABLE %I RENAME TO %I', aside, tbl || '_default');
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', tbl, tbl || '_default');
    INSERT INTO partition_cutovers
    VALUES ('public.' || tbl, 'public.' || tbl || '_default', cutover);
END;
$$;

-- A key of a partitioned table must include the partition column: device_presence and
-- audit_log were keyed by id alone. Building the new key is a pass over those (small) tables.
CREATE FUNCTION pg_temp.key_with_time(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', tbl, tbl || '_pkey');
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, at)', tbl, tbl || '_pkey');
END;
$$;
SELECT pg_temp.key_with_time('device_presence');
SELECT pg_temp.key_with_time('audit_log');

SELECT pg_temp.move_to_partitions('readings', 'at', 'day', 4, '90 days', ARRAY[
    $ddl$CREATE TABLE readings (
        device_id text NOT NULL,
        metric    text NOT NULL,
        at        timestamptz NOT NULL,
        value     double precision NOT NULL,
        PRIMARY KEY (device_id, metric, at)
    ) PARTITION BY RANGE (at)$ddl$,
    $ddl$CREATE INDEX readings_at_brin_idx ON readings USING brin (at)
        WITH (pages_per_range = 32)$ddl$]);

SELECT pg_temp.move_to_partitions('device_events', 'at', 'day', 4, '90 days', ARRAY[
    $ddl$CREATE TABLE device_events (
        device_id text NOT NULL,
        subtopic  text NOT NULL,
        at        timestamptz NOT NULL,
        payload   jsonb NOT NULL,
        PRIMARY KEY (device_id, subtopic, at)
    ) PARTITION BY RANGE (at)$ddl$,
    $ddl$CREATE INDEX device_events_at_brin_idx ON device_events USING brin (at)$ddl$,
    $ddl$CREATE TRIGGER device_events_slot_levels AFTER INSERT ON device_events
        FOR EACH ROW WHEN (NEW.subtopic = 'telemetry')
        EXECUTE FUNCTION slots_level_from_telemetry()$ddl$]);

-- Rollup buckets are cut in UTC minutes and hours, so a bucket never straddles two months.
SELECT pg_temp.move_to_partitions('reading_rollups', 'bucket', 'month', 2, '730 days', ARRAY[
    $ddl$CREATE TABLE reading_rollups (
        device_id      text NOT NULL,
        metric         text NOT NULL,
        bucket_seconds integer NOT NULL
            CONSTRAINT reading_rollups_bucket_seconds_check CHECK (bucket_seconds IN (60, 3600)),
        bucket         timestamptz NOT NULL,
        samples        bigint NOT NULL
            CONSTRAINT reading_rollups_samples_check CHECK (samples > 0),
        total          double precision NOT NULL,
        low            double precision NOT NULL,
        high           double precision NOT NULL,
        PRIMARY KEY (device_id, metric, bucket_seconds, bucket)
    ) PARTITION BY RANGE (bucket)$ddl$]);

SELECT pg_temp.move_to_partitions('device_presence', 'at', 'day', 4, '90 days', ARRAY[
    $ddl$CREATE TABLE device_presence (
        id        bigint GENERATED ALWAYS AS IDENTITY,
        device_id text NOT NULL CONSTRAINT device_presence_device_id_fkey
            REFERENCES devices (id) ON DELETE CASCADE,
        node      text NOT NULL,
        online    boolean NOT NULL,
        at        timestamptz NOT NULL,
        PRIMARY KEY (id, at)
    ) PARTITION BY RANGE (at)$ddl$,
    $ddl$CREATE INDEX device_presence_device_at_idx ON device_presence (device_id, at DESC)$ddl$,
    -- Presence changes reach the stream's listeners (sql/0006).
    $ddl$CREATE TRIGGER device_presence_changed AFTER INSERT ON device_presence
        FOR EACH ROW EXECUTE FUNCTION notify_presence_changed()$ddl$]);

SELECT pg_temp.move_to_partitions('audit_log', 'at', 'month', 2, '365 days', ARRAY[
    $ddl$CREATE TABLE audit_log (
        id             bigint GENERATED ALWAYS AS IDENTITY,
        at             timestamptz NOT NULL DEFAULT now(),
        user_id        bigint
            CONSTRAINT audit_log_user_id_fkey REFERENCES users (id) ON DELETE SET NULL,
        username       text,
        client_address text,
        action         text NOT NULL,
        outcome        text NOT NULL CONSTRAINT audit_log_outcome_check
            CHECK (outcome IN ('success', 'failure', 'locked', 'denied')),
        detail         jsonb,
        PRIMARY KEY (id, at)
    ) PARTITION BY RANGE (at)$ddl$,
    $ddl$CREATE INDEX audit_log_at_idx ON audit_log (at)$ddl$,
    $ddl$CREATE INDEX audit_log_user_idx ON audit_log (user_id, at)$ddl$]);
