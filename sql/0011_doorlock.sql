-- The door lock's PIN lockout (issue #8, docs/doorlock.md): one state shared by the keypad
-- (the broker's doorlock plugin) and remote unlock (the sidecar), so neither path gives a
-- guesser a second budget. One row per key: the lock ('device', device id) and its owner
-- ('account', user id). An attempt is counted here before its PIN is verified (a reservation
-- under the row lock), so concurrent guesses cannot all slip past the limit.
CREATE TABLE door_pin_lockouts (
    scope             text NOT NULL CHECK (scope IN ('device', 'account')),
    subject           text NOT NULL,
    window_started_at timestamptz NOT NULL,   -- the first counted attempt of the window
    attempts          integer NOT NULL CHECK (attempts >= 0),
    locked_until      timestamptz NOT NULL DEFAULT 'epoch',
    PRIMARY KEY (scope, subject)
);
