-- SmartParcel box (issue #8, seed 004): packages photographed by the box, and the settings the
-- app sets for it. Photos live on disk under storage.dir/packages; a row names its two files.
-- Files are written before the row commits and removed after it is deleted, so a crash leaves
-- at worst an unreferenced file, which the sidecar's storage sweep removes (docs/parcel.md).

CREATE TABLE packages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- A deleted device takes its packages along; its files become the sweep's.
    device_id    text NOT NULL REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    received_at  timestamptz NOT NULL DEFAULT now(),
    photo_file   text NOT NULL UNIQUE CHECK (photo_file ~ '^package_[0-9]+_[0-9a-f]{16}\.jpg$'),
    thumb_file   text NOT NULL UNIQUE
                 CHECK (thumb_file ~ '^package_[0-9]+_[0-9a-f]{16}_thumb\.jpg$'),
    distance_cm  double precision CHECK (distance_cm BETWEEN 0 AND 1000),
    reason       text NOT NULL DEFAULT 'detect' CHECK (length(reason) BETWEEN 1 AND 32),
    firmware     text CHECK (length(firmware) <= 100),
    status       text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'picked_up')),
    picked_up_at timestamptz,
    CHECK ((status = 'picked_up') = (picked_up_at IS NOT NULL))
);
CREATE INDEX packages_device_time_idx ON packages (device_id, received_at DESC);
CREATE INDEX packages_time_idx ON packages (received_at DESC);

-- What the owner set for a box (seed's settings.json, ranges checked by the sidecar). What the
-- box reports it runs with arrives on settings/cur and lands in device_events.
CREATE TABLE parcel_settings (
    device_id  text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    settings   jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now()
);
