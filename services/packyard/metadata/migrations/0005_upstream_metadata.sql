-- PEP 658 metadata the connector read out of upstream wheels with range requests, because
-- their upstream offers none. Stored in the blob service under its own sha256; not covered by
-- the upstream index's file hash, so the METADATA extracted from the verified wheel, once the
-- wheel is cached (upstream_files), wins over this row. The first record of a filename stays.
CREATE TABLE upstream_backfilled_metadata (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    filename text NOT NULL,
    project text NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL CHECK (size >= 0),
    connector_id text NOT NULL DEFAULT '',
    recorded timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, filename)
);
CREATE INDEX upstream_backfilled_metadata_project_idx
    ON upstream_backfilled_metadata (feed, project);
