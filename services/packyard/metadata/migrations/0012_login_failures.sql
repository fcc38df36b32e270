-- Failed logins per (client address, credential identity), shared by every gateway replica
-- (metadata/access/login_failures.py). A row counts the failures since window_start; once
-- the window has passed, the next failure starts a new one. Rows of passed windows are
-- removed a few at a time by later failures, so the table holds only recent attackers.
CREATE TABLE login_failures (
    address text NOT NULL,
    identity text NOT NULL,
    window_start timestamptz NOT NULL DEFAULT now(),
    failures integer NOT NULL DEFAULT 1,
    PRIMARY KEY (address, identity)
);
CREATE INDEX login_failures_window_idx ON login_failures (window_start);
