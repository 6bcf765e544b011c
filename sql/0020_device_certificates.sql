-- Device certificates (issue #19 item 3): X.509 client certificates, signed by Sarang's device
-- CA, as a second credential beside a device's 256-bit password. The broker's access plugin
-- admits a mutual-TLS connection by the SHA-256 fingerprint of the certificate it presented
-- (not by its subject alone), so a revoked certificate is refused even though the CA signed it.
--
-- Expand-only: a new table and a trigger; v0.1.0's plugins and sidecar never read it.
CREATE TABLE device_certificates (
    fingerprint bytea PRIMARY KEY CHECK (length(fingerprint) = 32), -- SHA-256 of the DER
    device_id   text NOT NULL REFERENCES devices (id) ON UPDATE CASCADE ON DELETE CASCADE,
    serial      text NOT NULL, -- hex, as `openssl x509 -serial` prints it
    not_after   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE INDEX device_certificates_device ON device_certificates (device_id);

-- A certificate's issue, revocation or removal changes what its device may connect with: the
-- same notification as a change to the device row, so the access plugin reloads the device
-- (with its active certificates) and re-checks, and kicks, its live connections.
CREATE FUNCTION notify_device_certificate_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('sarang_devices', OLD.device_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.device_id <> NEW.device_id) THEN
        PERFORM pg_notify('sarang_devices', NEW.device_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER device_certificates_changed
    AFTER INSERT OR DELETE OR UPDATE ON device_certificates
    FOR EACH ROW EXECUTE FUNCTION notify_device_certificate_changed();
