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
