-- Vending (seed 001, issue #7, docs/vending.md): products, slots, orders, payments, dispense and
-- stock logs. A machine is a device of kind 'vending' (vm/{id}); there is no machines table.
--
-- The invariant "stock = initial + restocks - successful dispenses" is kept by the database:
-- stock never goes below zero, an order has at most one dispense log, an order's status only
-- moves along its state machine (trigger below), and every stock change writes a stock log in
-- the same statement's transaction. Money is an integer amount in the currency's smallest
-- unit that customers pay in (IDR: rupiah).

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE slots (
    machine_id  text NOT NULL REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE,
    slot_number integer NOT NULL CHECK (slot_number BETWEEN 1 AND 255),
    product_id  bigint REFERENCES products (id) ON DELETE SET NULL,
    price       bigint NOT NULL CHECK (price > 0),
    stock       integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    capacity    integer NOT NULL CHECK (capacity BETWEEN 1 AND 1000),
    -- What the machine last reported on vm/{id}/telemetry (NULL: never), and when.
    level       text CHECK (level IN ('FULL', 'LOW', 'EMPTY')),
    level_at    timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (machine_id, slot_number),
    CHECK (stock <= capacity)
);

CREATE TABLE orders (
    -- The seed's order ids are text ("ORD123456", "test-order-123"); Midtrans echoes them.
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    machine_id    text NOT NULL,
    slot_number   integer NOT NULL,
    product_id    bigint REFERENCES products (id) ON DELETE SET NULL,
    amount        bigint NOT NULL CHECK (amount > 0),
    currency      text NOT NULL DEFAULT 'IDR' CHECK (currency ~ '^[A-Z]{3}$'),
    status        text NOT NULL DEFAULT 'PENDING'
                  CHECK (status IN ('PENDING', 'PAID', 'DISPENSING', 'COMPLETED', 'FAILED',
                                    'REFUNDED')),
    error         text,   -- why FAILED: "timeout", the machine's error, "payment expire", ...
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    paid_at       timestamptz,
    dispensing_at timestamptz,
    -- A result arriving after this fails the order with "timeout" (plugins/vending sweep).
    dispense_deadline timestamptz,
    dispensed_at  timestamptz,  -- COMPLETED
    failed_at     timestamptz,
    refunded_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (machine_id, slot_number) REFERENCES slots (machine_id, slot_number)
        ON DELETE RESTRICT ON UPDATE CASCADE,
    CHECK ((status = 'DISPENSING') <= (dispense_deadline IS NOT NULL))
);
CREATE INDEX orders_machine_idx ON orders (machine_id, created_at DESC);
-- Orders that hold an item of their slot (reservations) and open dispenses.
CREATE INDEX orders_open_idx ON orders (machine_id, slot_number)
    WHERE status IN ('PENDING', 'PAID', 'DISPENSING');
CREATE INDEX orders_deadline_idx ON orders (dispense_deadline) WHERE status = 'DISPENSING';

-- PENDING -> PAID -> DISPENSING -> COMPLETED | FAILED; PENDING -> FAILED (payment expired,
-- cancelled or denied); PAID | FAILED | COMPLETED -> REFUNDED. Writers update WHERE status =
-- <expected>; this trigger is the backstop that no statement breaks the machine.
CREATE FUNCTION orders_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.machine_id <> OLD.machine_id OR NEW.slot_number <> OLD.slot_number
       OR NEW.amount <> OLD.amount THEN
        RAISE EXCEPTION 'order % cannot be rewritten', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NOT (OLD.status = NEW.status
            OR (OLD.status = 'PENDING' AND NEW.status IN ('PAID', 'FAILED'))
            OR (OLD.status = 'PAID' AND NEW.status IN ('DISPENSING', 'REFUNDED', 'FAILED'))
            OR (OLD.status = 'DISPENSING' AND NEW.status IN ('COMPLETED', 'FAILED'))
            OR (OLD.status IN ('FAILED', 'COMPLETED') AND NEW.status = 'REFUNDED')) THEN
        RAISE EXCEPTION 'order % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER orders_state_machine BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_forward_only();

-- Payment gateway notifications as received (Midtrans). One row per (order, status): a repeated
-- notification is a conflict and changes nothing.
CREATE TABLE payments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id           text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    provider           text NOT NULL CHECK (provider IN ('midtrans', 'manual')),
    transaction_status text NOT NULL CHECK (length(transaction_status) BETWEEN 1 AND 40),
    transaction_id     text,
    status_code        text,
    fraud_status       text,
    gross_amount       bigint NOT NULL CHECK (gross_amount >= 0),
    payment_type       text,
    payload            jsonb,   -- the notification as sent (signature included)
    received_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, provider, transaction_status)
);

-- One dispense per order: the command Sarang sent and the machine's result.
CREATE TABLE dispense_logs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        text NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    machine_id      text NOT NULL,
    slot_number     integer NOT NULL,
    command_id      uuid REFERENCES commands (id) ON DELETE SET NULL,
    timeout_ms      integer NOT NULL CHECK (timeout_ms BETWEEN 100 AND 600000),
    -- When Sarang queued the command (the commands row has when the broker published it).
    command_sent_at timestamptz NOT NULL DEFAULT now(),
    -- The machine's first result; later ones for the order change nothing.
    result_at       timestamptz,
    success         boolean,
    drop_detected   boolean,
    duration_ms     integer CHECK (duration_ms >= 0),
    error           text,
    result          jsonb,
    -- Set when the deadline passed with no result (the order became FAILED "timeout"); a result
    -- after that is late: recorded here, the order stays FAILED.
    timed_out_at    timestamptz,
    late            boolean NOT NULL DEFAULT false,
    CHECK ((result_at IS NULL) = (success IS NULL)),
    CHECK (NOT late OR (result_at IS NOT NULL AND timed_out_at IS NOT NULL))
);
CREATE INDEX dispense_logs_machine_idx ON dispense_logs (machine_id, command_sent_at DESC);

CREATE TABLE stock_logs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    machine_id  text NOT NULL,
    slot_number integer NOT NULL,
    change      integer NOT NULL CHECK (change <> 0),
    stock_after integer NOT NULL CHECK (stock_after >= 0),
    reason      text NOT NULL CHECK (reason IN ('dispense', 'late_dispense', 'restock', 'adjust')),
    order_id    text REFERENCES orders (id) ON DELETE SET NULL,
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (machine_id, slot_number) REFERENCES slots (machine_id, slot_number)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX stock_logs_machine_idx ON stock_logs (machine_id, created_at DESC);
-- A dispense decrements stock at most once per order.
CREATE UNIQUE INDEX stock_logs_one_dispense_idx ON stock_logs (order_id)
    WHERE reason IN ('dispense', 'late_dispense');

-- Slot levels from the machine's telemetry ({"slots":[{"id":1,"level":"FULL"}, ...]}), as the
-- telemetry plugin lands it in device_events: the newest report per slot wins, whatever order
-- batches land in. Unknown slots and levels are ignored (the telemetry plugin has validated
-- only that "slots" is an array).
CREATE FUNCTION slots_level_from_telemetry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(NEW.payload -> 'slots') <> 'array' THEN
        RETURN NULL;
    END IF;
    UPDATE slots s SET level = r.level, level_at = NEW.at
      FROM (SELECT DISTINCT ON (e ->> 'id') (e ->> 'id')::integer AS slot_number,
                   e ->> 'level' AS level
              FROM jsonb_array_elements(NEW.payload -> 'slots') e
             WHERE jsonb_typeof(e) = 'object' AND jsonb_typeof(e -> 'id') = 'number'
               AND (e ->> 'id') ~ '^[0-9]{1,3}$' AND e ->> 'level' IN ('FULL', 'LOW', 'EMPTY')) r
     WHERE s.machine_id = NEW.device_id AND s.slot_number = r.slot_number
       AND (s.level_at IS NULL OR s.level_at <= NEW.at);
    RETURN NULL;
END;
$$;
CREATE TRIGGER device_events_slot_levels AFTER INSERT ON device_events
    FOR EACH ROW WHEN (NEW.subtopic = 'telemetry') EXECUTE FUNCTION slots_level_from_telemetry();
