-- Issue #21: client ids that only devices may use, and lockouts that escalate.
--
-- mosquitto names a client that sends no client id 'auto-' + a UUID. Those ids, like every id
-- with a ':', belong to app users and claimants (docs/identity-and-acl.md), so no device id may
-- start with 'auto-' (core valid_device_id says the same).
ALTER TABLE devices ADD CONSTRAINT devices_id_not_an_assigned_client_id
    CHECK (id NOT LIKE 'auto-%');
