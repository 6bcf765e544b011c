-- Read-your-writes for credentials (issue #18 item 2, docs/identity-and-acl.md "A credential
-- works the moment it is handed out"). An issuer (sarangctl, the sidecar) that has committed a
-- credential takes the next barrier id and NOTIFYs it on sarang_access_barrier. PostgreSQL
-- delivers notifications in commit order, so each broker node's access loader sees the barrier
-- after the credential's own notification; once the broker thread has applied everything before
-- it, the loader records the id here. The issuer answers when every node with a fresh heartbeat
-- has applied_barrier >= its id. Nodes whose heartbeat is stale (down) never block it; a node
-- that stops cleanly deletes its row.
CREATE SEQUENCE access_barrier_seq;

CREATE TABLE access_nodes (
    node            text PRIMARY KEY,
    applied_barrier bigint NOT NULL DEFAULT 0 CHECK (applied_barrier >= 0),
    started_at      timestamptz NOT NULL,
    heartbeat_at    timestamptz NOT NULL
);
