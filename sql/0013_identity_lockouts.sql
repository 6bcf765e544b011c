-- Issue #21: client ids that only devices may use, and lockouts that escalate.
--
-- mosquitto names a client that sends no client id 'auto-' + a UUID. Those ids, like every id
-- with a ':', belong to app users and claimants (docs/identity-and-acl.md), so no device id may
-- start with 'auto-' (core valid_device_id says the same).
ALTER TABLE devices ADD CONSTRAINT devices_id_not_an_assigned_client_id
    CHECK (id NOT LIKE 'auto-%');

-- The door lockout now escalates as logins do (core lockout, docs/doorlock.md): `attempts`
-- counts consecutive attempts not proved right, forgotten after an hour without one, and the
-- row keeps the time of the last one rather than the start of a 30 s window.
ALTER TABLE door_pin_lockouts RENAME COLUMN window_started_at TO last_attempt_at;
