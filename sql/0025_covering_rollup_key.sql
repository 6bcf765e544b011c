-- reading_rollups' key carries the aggregates (issue #20 item 2; docs/telemetry.md "Charts").
--
-- A chart of one device's day per minute reads 2 x 1,440 rollup rows. Landing appends them in
-- time order, a minute of the whole fleet after another, so those rows sit on about as many heap
-- pages: 2,726 pages at 200 million readings, which made the query's p99 101.5 ms
-- (bench/RESULTS.md). With samples, total, low and high INCLUDEd in the key, the chart is an
-- index-only scan of the key's leaf pages, which are in (device, metric, width, bucket) order.
-- Heap pages are visited only where the visibility map is not yet set: the buckets written since
-- autovacuum last passed. ON CONFLICT (device_id, metric, bucket_seconds, bucket) still infers
-- the key: INCLUDE columns take no part in inference or uniqueness.
--
-- The price is paid on landing: an upsert changes an indexed column now, so it is never a HOT
-- update and it writes a new key entry. bench/RESULTS.md has the landing rate before and after.
--
-- Per partition, this reuses a matching unique index that already exists and builds one only
-- where none does. Landing waits from the LOCK below until this commits (the broker
-- journals and acknowledges meanwhile); dashboards go on reading until the final swap. So on a
-- large installation an operator builds the indexes beforehand with CREATE UNIQUE INDEX
-- CONCURRENTLY, and this file only swaps the constraints (docs/upgrading.md "0025").

-- The partition's unique index on exactly (device_id, metric, bucket_seconds, bucket) INCLUDE
-- (samples, total, low, high), in default order, valid and not a constraint yet; NULL if none.
CREATE FUNCTION pg_temp.prebuilt_covering_key(part regclass) RETURNS regclass
LANGUAGE sql STABLE AS $$
    SELECT i.indexrelid::regclass
    FROM pg_index i
    WHERE i.indrelid = part AND i.indisunique AND i.indisvalid AND i.indisready
      AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = 4
      AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
      AND ARRAY(SELECT a.attname::text
                FROM unnest(i.indkey::int2[]) WITH ORDINALITY k (attnum, position)
                JOIN pg_attribute a ON a.attrelid = part AND a.attnum = k.attnum
                ORDER BY k.position)
          = ARRAY['device_id', 'metric', 'bucket_seconds', 'bucket', 'samples', 'total', 'low',
                  'high']
      AND NOT EXISTS (SELECT FROM unnest(i.indoption::int2[]) o WHERE o <> 0)
    ORDER BY i.indexrelid
    LIMIT 1
$$;

CREATE FUNCTION pg_temp.rollup_partitions() RETURNS TABLE (rel regclass, relname name)
LANGUAGE sql STABLE AS $$
    SELECT c.oid::regclass, c.relname
    FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
    WHERE h.inhparent = 'reading_rollups'::regclass
    ORDER BY c.relname
$$;

-- Landing locks the parent before the partition a row goes to. Were the parent left free while
-- a partition's index is built, an upsert would hold the parent and wait for that partition,
-- and the swap below, which needs the parent alone, would wait for the upsert: a deadlock.
-- SHARE keeps writers out from the start and lets readers in.
LOCK TABLE reading_rollups IN SHARE MODE;

DO $$
DECLARE
    part    record;
    key     regclass;
    built   int := 0;
    reused  int := 0;
BEGIN
    FOR part IN SELECT * FROM pg_temp.rollup_partitions() LOOP
        key := pg_temp.prebuilt_covering_key(part.rel);
        IF key IS NULL THEN
            EXECUTE format('CREATE UNIQUE INDEX %I ON %s (device_id, metric, bucket_seconds, '
                           'bucket) INCLUDE (samples, total, low, high)',
                           part.relname || '_covering_key', part.rel);
            built := built + 1;
        ELSE
            reused := reused + 1;
        END IF;
    END LOOP;

    -- Dropping the parent's key drops every partition's copy of it.
    ALTER TABLE reading_rollups DROP CONSTRAINT reading_rollups_pkey;
    FOR part IN SELECT * FROM pg_temp.rollup_partitions() LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY USING INDEX %s', part.rel,
                       part.relname || '_pkey', pg_temp.prebuilt_covering_key(part.rel));
    END LOOP;
    -- Finds each partition's key by its definition and attaches it: nothing is built here.
    ALTER TABLE reading_rollups ADD CONSTRAINT reading_rollups_pkey
        PRIMARY KEY (device_id, metric, bucket_seconds, bucket)
        INCLUDE (samples, total, low, high);
    RAISE NOTICE 'reading_rollups: covering key built on % partitions, reused on %', built,
        reused;
END;
$$;
