-- Retention of what is not partitioned (issue #20, docs/operations.md "Retention"): settled
-- notifications with their deliveries, settled commands, and package photos on disk. These are
-- row DELETEs, not partition drops: notifications.dedupe_key and the deliveries' key to their
-- notification must stay unique across all time, and a partitioned table can only enforce a
-- unique key that includes its partition key. Their volume is a few rows per device and day,
-- so a batch of a few thousand rows per transaction is cheap and holds no lock for long.
--
-- Each function below does ONE batch in the caller's transaction and returns what it did; the
-- sidecar's retention worker and `sarangctl retention run` call it until a batch comes back
-- short (http-sidecar/src/retention/). SKIP LOCKED: a row a worker holds right now is left for
-- the next round rather than waited for.

-- A package whose photo and thumbnail were removed after parcel.photo_retention_days; the row
-- (and its file names) stays, so the app can say the photo is gone rather than that the package
-- never was. Expand-only: v0.1.0 never reads this column.
ALTER TABLE packages ADD COLUMN photo_removed_at timestamptz;

-- What each batch looks for, oldest first.
CREATE INDEX notifications_created_idx ON notifications (created_at);
CREATE INDEX commands_finished_idx ON commands (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX packages_photo_kept_idx ON packages (received_at) WHERE photo_removed_at IS NULL;
-- Deleting a command sets dispense_logs.command_id to NULL (ON DELETE SET NULL): without this
-- index every deleted command would scan dispense_logs once.
CREATE INDEX dispense_logs_command_idx ON dispense_logs (command_id) WHERE command_id IS NOT NULL;

-- Notifications older than `keep` whose every delivery is settled (sent, failed or skipped; a
-- notification without deliveries is settled too). Their deliveries go with them (ON DELETE
-- CASCADE). A delivery still pending or sending keeps its notification: the worker may yet
-- send it. Forgetting a dedupe key is safe: each names one event (an outage's start, a
-- lockout's end, a package's id, an alert's minute), and no producer raises an event 90 days
-- after it happened.
CREATE FUNCTION retention_delete_notifications(keep interval, batch integer) RETURNS integer
LANGUAGE sql AS $$
    WITH doomed AS (
        SELECT n.id FROM notifications n
        WHERE n.created_at < now() - keep
          AND NOT EXISTS (SELECT 1 FROM notification_deliveries d
                          WHERE d.notification_id = n.id AND d.state IN ('pending', 'sending'))
        ORDER BY n.created_at
        LIMIT batch
        FOR UPDATE OF n SKIP LOCKED),
    gone AS (DELETE FROM notifications n USING doomed WHERE n.id = doomed.id RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- Commands that settled (acked, failed, expired) more than `keep` ago. Queued and sent ones are
-- never touched. A vending dispense keeps its dispense_logs row; its command_id becomes NULL.
CREATE FUNCTION retention_delete_commands(keep interval, batch integer) RETURNS integer
LANGUAGE sql AS $$
    WITH doomed AS (
        SELECT id FROM commands
        WHERE state IN ('acked', 'failed', 'expired') AND finished_at < now() - keep
        ORDER BY finished_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED),
    gone AS (DELETE FROM commands c USING doomed WHERE c.id = doomed.id RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;

-- Marks the photos of packages received more than `keep` ago as removed and returns their file
-- names; the caller unlinks the files after this commits. A crash in between leaves files of
-- rows marked removed, which the storage sweep removes (it counts only rows whose photo is
-- kept as referencing a file).
CREATE FUNCTION retention_remove_package_photos(keep interval, batch integer)
RETURNS TABLE (photo_file text, thumb_file text)
LANGUAGE sql AS $$
    WITH due AS (
        SELECT id FROM packages
        WHERE photo_removed_at IS NULL AND received_at < now() - keep
        ORDER BY received_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED)
    UPDATE packages p SET photo_removed_at = now() FROM due WHERE p.id = due.id
    RETURNING p.photo_file, p.thumb_file
$$;
