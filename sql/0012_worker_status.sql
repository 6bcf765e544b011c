-- The plugins' database workers, as their supervisors see them (issue #21, docs/reliability.md
-- "Database workers"). One row per broker node, plugin and worker thread, upserted by the
-- worker's own loop every few seconds (never by the broker thread) and read by the sidecar for
-- /metrics (sarang_worker_restarts_total, ...) and /healthz. Counts are since the broker
-- process started (started_at): Prometheus counters, which reset with the process.
CREATE TABLE worker_status (
    node            text NOT NULL,
    plugin          text NOT NULL,
    worker          text NOT NULL,
    restarts        bigint NOT NULL DEFAULT 0 CHECK (restarts >= 0),
    poisoned        bigint NOT NULL DEFAULT 0 CHECK (poisoned >= 0),
    last_error      text,
    last_restart_at timestamptz,
    started_at      timestamptz NOT NULL,
    heartbeat_at    timestamptz NOT NULL,
    PRIMARY KEY (node, plugin, worker)
);
