-- Users, per-feed permissions, key ownership and the audit log.

-- Log in with HTTP Basic USER:PASSWORD. "api" and "__token__" are not user names: they mean
-- "the password is an API key".
CREATE TABLE users (
    name text PRIMARY KEY
        CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' AND name <> 'api'),
    -- "scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>" (hashlib.scrypt, memory-hard).
    password_hash text NOT NULL,
    is_admin boolean NOT NULL DEFAULT false,
    disabled boolean NOT NULL DEFAULT false,
    created timestamptz NOT NULL DEFAULT now()
);

-- A key acts for its owner (with the owner's rights), or stands alone with rights of its own.
-- Deleting a user deletes its keys.
ALTER TABLE api_keys ADD COLUMN owner text REFERENCES users (name) ON DELETE CASCADE;
CREATE INDEX api_keys_owner_idx ON api_keys (owner);

-- One right per subject and feed; each level includes the lower ones
-- (read < publish < yank < admin). subject: a user name, or 'key:<prefix>'. feed '*' means
-- every feed. No foreign key to feeds because of '*'; deleting a feed deletes its rows.
CREATE TABLE permissions (
    subject text NOT NULL CHECK (subject <> ''),
    feed text NOT NULL CHECK (feed <> ''),
    level text NOT NULL CHECK (level IN ('read', 'publish', 'yank', 'admin')),
    created timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, feed)
);
CREATE INDEX permissions_feed_idx ON permissions (feed);

-- The rights keys had as arrays become rows.
INSERT INTO permissions (subject, feed, level)
SELECT 'key:' || k.prefix, f.feed, 'publish'
FROM api_keys k, unnest(k.publish_feeds) AS f (feed)
ON CONFLICT DO NOTHING;
INSERT INTO permissions (subject, feed, level)
SELECT 'key:' || k.prefix, f.feed, 'read'
FROM api_keys k, unnest(k.read_feeds) AS f (feed)
ON CONFLICT DO NOTHING;
ALTER TABLE api_keys DROP COLUMN publish_feeds, DROP COLUMN read_feeds;

-- Who did what, when, from where. Rows are only ever added.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL DEFAULT '',
    actor_key text NOT NULL DEFAULT '',
    client_address text NOT NULL DEFAULT '',
    action text NOT NULL,
    feed text NOT NULL DEFAULT '',
    target text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_feed_idx ON audit_log (feed, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
