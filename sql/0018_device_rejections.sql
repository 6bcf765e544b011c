-- Device data that Sarang refused (issue #18 item 4, docs/telemetry.md "Rejected data"): per
-- device and reason, how many messages, and the latest one's detail and first bytes, so the
-- owner can see why a device's readings do not appear. Written in batches by the telemetry
-- writer (once per landing round, never by the broker thread) and by the sidecar's HTTP ingest;
-- read by GET /api/v1/devices/{id} and, summed by reason, by /metrics
-- (sarang_device_data_rejected_total). `reason` is a short fixed name (bad_timestamp, not_json,
-- ...), `last_detail` the text for people, `last_sample` at most 200 bytes of valid UTF-8.
CREATE TABLE device_rejections (
    device_id   text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (reason ~ '^[a-z_]{1,40}$'),
    count       bigint NOT NULL CHECK (count > 0),
    last_detail text NOT NULL CHECK (length(last_detail) <= 300),
    last_sample text NOT NULL CHECK (octet_length(last_sample) <= 200),
    last_source text NOT NULL CHECK (last_source IN ('mqtt', 'http')),
    last_at     timestamptz NOT NULL,
    PRIMARY KEY (device_id, reason)
);

-- Adds a batch of counted rejections: arrays of equal length, one element per (device, reason),
-- with that key's count in the batch and its latest detail and sample. Devices deleted meanwhile
-- are skipped.
CREATE FUNCTION sarang_add_rejections(devices text[], reasons text[], counts bigint[],
                                      details text[], samples text[], source text,
                                      at timestamptz)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO device_rejections AS r
           (device_id, reason, count, last_detail, last_sample, last_source, last_at)
    SELECT b.device_id, b.reason, b.count, left(b.detail, 300), b.sample, source, at
      FROM unnest(devices, reasons, counts, details, samples)
           AS b(device_id, reason, count, detail, sample)
      JOIN devices d ON d.id = b.device_id
    ON CONFLICT (device_id, reason) DO UPDATE
       SET count = r.count + EXCLUDED.count, last_detail = EXCLUDED.last_detail,
           last_sample = EXCLUDED.last_sample, last_source = EXCLUDED.last_source,
           last_at = EXCLUDED.last_at
$$;
