# History for benchmarks (issue #20 item 2, "cost as history grows"): fills a running stack's
# database with ROWS readings spread over the retention window, as the landing path would have
# left them: readings, their per-minute and per-hour rollups, latest values, last seen, and a
# little presence history. Sourced by bench/history.sh, and by bench/ingest.sh (or anything
# else) that wants to measure on a database that already holds history:
#
#   source "$SARANG_ROOT/bench/history_fill.sh"   # after tools/lib/stack.sh
#   history_fill STATE PG_PORT ROWS [OWNER]       # after pg_start and `sarangctl migrate`
#
# Devices hist-1 ... hist-$HISTORY_DEVICES (default 500, kind hydro-sensor, owned by the user
# OWNER when given, which must exist; ids apart from bench/ingest.sh's pi-N) each send
# {"tds","ph"} at a fixed interval chosen so that the window holds ROWS readings. The window
# starts HISTORY_DAYS days ago (default 89: the retention worker keeps 90, so nothing of it is
# due for dropping while a benchmark runs) and ends at HISTORY_END (epoch seconds; default now).
# bench/ingest.sh's runs count the rows with `at` in their own window [start, next), from three
# days ago on: such a caller passes HISTORY_END=<its first ts / 1000> to keep the history out of
# its count. Partitions the window needs are made with pg_partman first when the tables are
# partman's (issue #20's layout; the plain layout of 0006 works too). Rows are generated in SQL
# (generate_series), one UTC day per transaction in time order (as landing writes them), then
# VACUUMed, so that no autovacuum of the fill runs
# during the benchmark that follows. Prints progress and, at the end, the line
#   history: rows=N days=D devices=K seconds=S
# The cluster's checkpoint settings are raised during the fill and restored after it.
HISTORY_DEVICES=${HISTORY_DEVICES:-500}
HISTORY_DAYS=${HISTORY_DAYS:-89}

history_psql() { # STATE PG_PORT psql-args...: psql as the superuser into the sarang database
    local state=$1 port=$2
    shift 2
    as_postgres "$(pg_bindir)/psql" -h "$state/run" -p "$port" -U postgres -d sarang -qAtX \
        -v ON_ERROR_STOP=1 "$@"
}

# The partman-managed parent of a table, or nothing.
history_partman_parent() { # STATE PG_PORT TABLE
    history_psql "$1" "$2" -c "SELECT parent_table FROM partman.part_config
        WHERE parent_table = 'public.$3'" 2>/dev/null || true
}

# Partitions for every day (readings, presence) or month (rollups) of the window, made the way
# partman's maintenance would make them; a partition that exists is left alone.
history_premake() { # STATE PG_PORT START_EPOCH END_EPOCH
    local state=$1 port=$2 start=$3 end=$4 table parent step
    for table in readings device_presence reading_rollups; do
        parent=$(history_partman_parent "$state" "$port" "$table")
        [ -n "$parent" ] || continue
        step=day
        [ "$table" != reading_rollups ] || step=month
        history_psql "$state" "$port" -v parent="$parent" -v step="$step" -v start="$start" \
            -v end="$end" >/dev/null <<'SQL'
SET TIME ZONE 'UTC';
SET ROLE sarang; -- the partitions belong to the application, as the maintenance's do
SELECT partman.create_partition_time(:'parent', array_agg(t), false)
FROM generate_series(date_trunc(:'step', to_timestamp(:start)),
                     to_timestamp(:end), ('1 ' || :'step')::interval) t;
SQL
    done
}

history_fill() { # STATE PG_PORT ROWS [OWNER]
    local state=$1 port=$2 rows=$3 owner=${4:-} began now start end step per_series day days
    local added total=0
    began=$(date +%s.%N)
    now=$(date +%s)
    end=${HISTORY_END:-$now}
    start=$((now - HISTORY_DAYS * 86400))
    # Each device sends both metrics every `step` seconds, each series holds rows/(2 devices).
    per_series=$((rows / (2 * HISTORY_DEVICES)))
    [ "$per_series" -ge 1 ] || { echo "history_fill: ROWS is less than 2 x HISTORY_DEVICES" >&2; return 1; }
    step=$(awk -v s="$start" -v e="$end" -v k="$per_series" 'BEGIN { printf "%.6f", (e - s) / k }')
    echo "==> history: $rows readings, $HISTORY_DEVICES devices x 2 metrics, one message per ${step}s each over $HISTORY_DAYS days"

    history_psql "$state" "$port" -v owner="$owner" -v devices="$HISTORY_DEVICES" >/dev/null <<'SQL'
ALTER SYSTEM SET max_wal_size = '4GB';
ALTER SYSTEM SET checkpoint_timeout = '30min';
SELECT pg_reload_conf();
SET session_replication_role = replica; -- no access-snapshot notifications for the fleet
INSERT INTO devices (id, name, kind, topic_prefix, owner_id, state, registered_via)
SELECT 'hist-' || n, 'hist-' || n, 'hydro-sensor', 'hydro/hist-' || n,
       (SELECT id FROM users WHERE username = nullif(:'owner', '')), 'registered', 'sarangctl'
FROM generate_series(1, :devices) n
ON CONFLICT (id) DO NOTHING;
SQL
    history_premake "$state" "$port" "$start" "$end"

    # One UTC day per transaction: a day's readings, then its rollups computed from them.
    days=$(((end / 86400) - (start / 86400)))
    for day in $(seq 0 "$days"); do
        local ds=$(((start / 86400 + day) * 86400)) de
        de=$((ds + 86400))
        [ "$ds" -ge "$start" ] || ds=$start
        [ "$de" -le "$end" ] || de=$end
        [ "$ds" -lt "$de" ] || continue
        added=$(history_psql "$state" "$port" -1 -v devices="$HISTORY_DEVICES" -v t0="$start" \
            -v step="$step" -v k="$per_series" -v ds="$ds" -v de="$de" <<'SQL'
SET LOCAL synchronous_commit = off;
SET LOCAL session_replication_role = replica;
SET LOCAL work_mem = '256MB';
SET LOCAL jit = off;
-- Device n's k-th message is at t0 + (n - 1) * step / devices + k * step: the fleet's messages
-- spread evenly over each interval. Values wander around a tank's usual TDS and pH.
INSERT INTO readings (device_id, metric, at, value)
SELECT 'hist-' || n, m.metric, to_timestamp(round((o.s0 + k * :step) * 1000) / 1000.0),
       m.base + m.swing * sin(k / 40.0 + n)
FROM generate_series(1, :devices) n
CROSS JOIN LATERAL (SELECT :t0 + (n - 1) * :step / :devices AS s0) o
CROSS JOIN LATERAL generate_series(greatest(0, ceil((:ds - o.s0) / :step))::bigint,
                                   least(:k - 1, ceil((:de - o.s0) / :step)::bigint - 1)) k
CROSS JOIN (VALUES ('ph', 6.5, 0.6), ('tds', 600.0, 150.0)) m (metric, base, swing)
ORDER BY k, n, m.metric; -- the order landing writes them in: time first
\echo :ROW_COUNT
INSERT INTO reading_rollups (device_id, metric, bucket_seconds, bucket, samples, total, low, high)
SELECT device_id, metric, width.seconds, date_trunc(width.unit, at, 'UTC'), count(*), sum(value),
       min(value), max(value)
FROM readings CROSS JOIN (VALUES (60, 'minute'), (3600, 'hour')) AS width (seconds, unit)
WHERE at >= to_timestamp(:ds) AND at < to_timestamp(:de) AND device_id LIKE 'hist-%'
GROUP BY device_id, metric, width.seconds, date_trunc(width.unit, at, 'UTC')
ORDER BY 1, 2, 3, 4;
-- The device's presence: a short reconnect every day.
INSERT INTO device_presence (device_id, node, online, at)
SELECT 'hist-' || n, 'bench', flag, to_timestamp(:ds + 3600 + n * 7 + CASE WHEN flag THEN 300 ELSE 0 END)
FROM generate_series(1, :devices) n CROSS JOIN (VALUES (false), (true)) f (flag)
WHERE :ds + 3600 + n * 7 + 300 < :de;
-- The partitions the day went to (the table itself when it is not partitioned).
SELECT string_agg(t, ', ') FROM (
    (SELECT tableoid::regclass::text FROM readings WHERE at >= to_timestamp(:ds) AND at < to_timestamp(:de) LIMIT 1)
    UNION (SELECT tableoid::regclass::text FROM reading_rollups WHERE bucket >= to_timestamp(:ds) AND bucket < to_timestamp(:de) LIMIT 1)
    UNION (SELECT tableoid::regclass::text FROM device_presence WHERE at >= to_timestamp(:ds) AND at < to_timestamp(:de) LIMIT 1)) p (t);
SQL
)
        total=$((total + $(head -n 1 <<<"$added")))
        # Set the hint bits and visibility map now, not in an autovacuum during the benchmark.
        history_psql "$state" "$port" -c "VACUUM $(tail -n 1 <<<"$added")" >/dev/null
        printf '    day %d/%d: %d readings in all, %.0f s\n' "$day" "$days" "$total" \
            "$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
    done

    history_psql "$state" "$port" -v devices="$HISTORY_DEVICES" -v end="$end" >/dev/null <<'SQL'
SET session_replication_role = replica;
INSERT INTO latest_readings AS l (device_id, metric, at, value)
SELECT DISTINCT ON (device_id, metric) device_id, metric, at, value
FROM readings WHERE at >= to_timestamp(:end) - interval '1 day' AND device_id LIKE 'hist-%'
ORDER BY device_id, metric, at DESC
ON CONFLICT (device_id, metric) DO UPDATE SET at = excluded.at, value = excluded.value;
UPDATE devices d SET last_seen_at = l.at
FROM (SELECT device_id, max(at) AS at FROM latest_readings GROUP BY device_id) l
WHERE d.id = l.device_id AND d.id LIKE 'hist-%';
ALTER SYSTEM RESET max_wal_size;
ALTER SYSTEM RESET checkpoint_timeout;
SELECT pg_reload_conf();
SQL
    history_psql "$state" "$port" -c "VACUUM ANALYZE readings, reading_rollups, latest_readings, device_presence, devices" >/dev/null
    history_psql "$state" "$port" -c "CHECKPOINT" >/dev/null
    printf 'history: rows=%s days=%s devices=%s seconds=%.0f\n' \
        "$total" \
        "$HISTORY_DAYS" "$HISTORY_DEVICES" "$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
}
