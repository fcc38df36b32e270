-- Web UI sessions. The cookie holds a random token; only its SHA-256 is stored, so a copy of
-- this table signs no one in. subject: a local user name, or "<source>:<name>" for someone a
-- directory (LDAP, OpenID Connect) vouched for, with the directory groups it had at sign-in.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    subject text NOT NULL CHECK (subject <> ''),
    local_user boolean NOT NULL,
    groups text[] NOT NULL DEFAULT '{}',
    -- A directory user in one of the gateway's administrator groups (local users: users.is_admin).
    directory_admin boolean NOT NULL DEFAULT false,
    created timestamptz NOT NULL DEFAULT now(),
    last_used timestamptz NOT NULL DEFAULT now(),
    idle_seconds integer NOT NULL CHECK (idle_seconds > 0),
    expires timestamptz NOT NULL
);
-- Disabling or deleting a user ends its sessions.
CREATE INDEX sessions_subject_idx ON sessions (subject);
CREATE INDEX sessions_expires_idx ON sessions (expires);
