-- Supply chain (issue 17).
-- An upload whose bytes are already in the feed under another filename is refused; this index
-- answers "which file has this sha256" without a scan of the feed's files.
CREATE INDEX files_feed_sha256_idx ON files (feed, sha256);

-- OSV advisories for PyPI, as imported (the PyPI part of each record, protocol/osv.py's
-- stored form). advisory_projects finds a project's advisories without reading the records.
CREATE TABLE advisories (
    id text PRIMARY KEY,
    aliases text[] NOT NULL DEFAULT '{}',
    modified text NOT NULL DEFAULT '',
    withdrawn boolean NOT NULL DEFAULT false,
    record jsonb NOT NULL,
    imported timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX advisories_aliases_idx ON advisories USING gin (aliases);
CREATE TABLE advisory_projects (
    project text NOT NULL,
    advisory_id text NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    PRIMARY KEY (project, advisory_id)
);
CREATE INDEX advisory_projects_advisory_idx ON advisory_projects (advisory_id);
-- Each import source's last ETag, for a conditional download next time.
CREATE TABLE advisory_sources (
    source text PRIMARY KEY,
    etag text NOT NULL DEFAULT '',
    imported timestamptz NOT NULL DEFAULT now()
);
-- A feed's supply-chain policy; a feed without a row ignores advisories.
CREATE TABLE feed_supply_policies (
    feed text PRIMARY KEY REFERENCES feeds (name) ON DELETE CASCADE,
    vulnerabilities text NOT NULL DEFAULT 'ignore'
        CHECK (vulnerabilities IN ('ignore', 'warn', 'block')),
    licenses text NOT NULL DEFAULT 'ignore' CHECK (licenses IN ('ignore', 'warn', 'block')),
    license_allow text[] NOT NULL DEFAULT '{}',
    license_deny text[] NOT NULL DEFAULT '{}',
    unknown_license text NOT NULL DEFAULT 'ignore'
        CHECK (unknown_license IN ('ignore', 'warn', 'block')),
    provenance_publishers text[] NOT NULL DEFAULT '{}'
);
-- An advisory allowed in a feed until it expires (who and why are in the audit log too).
CREATE TABLE advisory_exceptions (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    advisory_id text NOT NULL,
    expires timestamptz NOT NULL,
    reason text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, advisory_id)
);
-- PEP 740 provenance of a hosted file, verified by the gateway at upload; goes with the file.
CREATE TABLE file_provenance (
    feed text NOT NULL,
    filename text NOT NULL,
    provenance jsonb NOT NULL,
    PRIMARY KEY (feed, filename),
    FOREIGN KEY (feed, filename) REFERENCES files (feed, filename) ON DELETE CASCADE
);
