-- Governance: promotion between feeds (policy and record).

-- Which feeds may promote into a feed; no row (or an empty list) means any feed. The promote
-- itself always needs read on the source and publish on the target.
CREATE TABLE promotion_policies (
    feed text PRIMARY KEY REFERENCES feeds (name) ON DELETE CASCADE,
    allowed_sources text[] NOT NULL DEFAULT '{}'
);

-- Every release promoted, so retention in the source feed knows a version another feed
-- received from it. The rows outlive the feeds they name (feed names only, no foreign keys):
-- they are history, like the audit log.
CREATE TABLE promotions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_feed text NOT NULL,
    target_feed text NOT NULL,
    project text NOT NULL,
    version text NOT NULL,
    canonical_version text NOT NULL,
    actor text NOT NULL DEFAULT '',
    files integer NOT NULL DEFAULT 0,
    created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX promotions_source_idx ON promotions (source_feed, project, canonical_version);
CREATE INDEX promotions_target_idx ON promotions (target_feed, id);

-- Webhooks: per feed, a URL, a secret (sealed with PACKYARD_SECRET_KEY, like connector
-- credentials) and the events it wants (empty: all).
CREATE TABLE webhooks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    url text NOT NULL CHECK (url ~ '^https?://'),
    secret text NOT NULL,
    events text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_feed_idx ON webhooks (feed);

-- One row per (webhook, event): the webhooks' outbox. Rows are written by the trigger below in
-- the transaction of the change itself, so an event is never lost and never made up; the
-- delivery worker (metadata/webhooks/delivery.py) sends them, with retries and backoff.
CREATE TABLE webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL DEFAULT now(),
    response_status integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created timestamptz NOT NULL DEFAULT now(),
    delivered timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

-- Every change that matters to a webhook already writes its audit row in its own transaction
-- (uploads, yanks, deletions, promotions, retention removals), whichever path made it; the
-- trigger turns that row into deliveries, so no domain has a second place to remember.
CREATE FUNCTION enqueue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    kind := CASE NEW.action
        WHEN 'file.uploaded' THEN 'upload'
        WHEN 'release.yanked' THEN 'yank'
        WHEN 'release.unyanked' THEN 'unyank'
        WHEN 'file.deleted' THEN 'delete'
        WHEN 'release.deleted' THEN 'delete'
        WHEN 'release.promoted' THEN 'promote'
        WHEN 'retention.removed' THEN 'retention'
        ELSE NULL
    END;
    IF kind IS NULL OR NEW.feed = '' THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, event, payload)
    SELECT w.id, kind, jsonb_build_object(
        'event', kind, 'action', NEW.action, 'feed', NEW.feed, 'target', NEW.target,
        'detail', NEW.detail, 'actor', NEW.actor, 'time', NEW.time, 'audit_id', NEW.id)
    FROM webhooks w
    WHERE w.feed = NEW.feed AND (w.events = '{}' OR kind = ANY (w.events));
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_log_webhooks AFTER INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION enqueue_webhook_deliveries();

-- Retention rules per feed; NULL: the rule is off. Evaluated by `packyard retention run`, one
-- replica at a time per feed (a transaction-scoped advisory lock).
CREATE TABLE retention_rules (
    feed text PRIMARY KEY REFERENCES feeds (name) ON DELETE CASCADE,
    -- Keep the newest N versions of each project (PEP 440 order).
    keep_latest integer CHECK (keep_latest >= 1),
    -- Remove pre-releases whose last file was uploaded more than N days ago.
    prerelease_max_age_days integer CHECK (prerelease_max_age_days >= 0),
    -- Remove cached upstream files cached more than N days ago (fetched again on demand).
    cached_max_age_days integer CHECK (cached_max_age_days >= 0),
    -- Keep the feed's hosted files under this many bytes: least downloaded, then oldest,
    -- releases go first.
    quota_bytes bigint CHECK (quota_bytes >= 0)
);
