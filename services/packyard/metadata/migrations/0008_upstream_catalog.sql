-- Proxied projects in the catalog: what a feed has served from upstream (listed, searched,
-- described) and the downloads of its upstream files, next to the hosted ones of 0004.

-- One row per project a feed served from an upstream: written when the connector records a
-- found listing with files, so a project appears in the feed's list once pip could see it.
-- The description columns come from the upstream's JSON API or a cached wheel's METADATA.
CREATE TABLE upstream_projects (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    name text NOT NULL,
    connector_id text NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    display_name text NOT NULL,
    latest_version text NOT NULL DEFAULT '',
    -- PEP 792 status the upstream's listing gives; a quarantined project is neither listed
    -- nor are its cached files served.
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'archived', 'quarantined', 'deprecated')),
    summary text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    description_content_type text NOT NULL DEFAULT '',
    license text NOT NULL DEFAULT '',
    requires_python text NOT NULL DEFAULT '',
    requires_dist text[] NOT NULL DEFAULT '{}',
    -- "Label, URL" as core metadata writes Project-URL.
    project_urls text[] NOT NULL DEFAULT '{}',
    -- Where the description came from: '' (none yet), 'json' or 'metadata'.
    described_from text NOT NULL DEFAULT '' CHECK (described_from IN ('', 'json', 'metadata')),
    described timestamptz,
    first_served timestamptz NOT NULL DEFAULT now(),
    last_served timestamptz NOT NULL DEFAULT now(),
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, replace(name, '-', ' ')), 'A')
        || setweight(to_tsvector('english'::regconfig, catalog_words(summary)), 'C')
    ) STORED,
    PRIMARY KEY (feed, name)
);
-- The same trigram and full-text search as project_search (0004).
CREATE INDEX upstream_projects_name_trgm_idx ON upstream_projects USING gin (name gin_trgm_ops);
CREATE INDEX upstream_projects_document_idx ON upstream_projects USING gin (document);
CREATE INDEX upstream_projects_connector_idx ON upstream_projects (connector_id);

-- Downloads of upstream files (hosted files count in file_downloads). Keyed by filename, since
-- the first download is counted before the cached-file record may exist.
CREATE TABLE upstream_downloads (
    feed text NOT NULL,
    project text NOT NULL,
    filename text NOT NULL,
    count bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (feed, filename),
    FOREIGN KEY (feed, project) REFERENCES upstream_projects (feed, name) ON DELETE CASCADE
);
CREATE INDEX upstream_downloads_project_idx ON upstream_downloads (feed, project);

-- Projects already served before this migration (their listings are stored).
INSERT INTO upstream_projects (feed, name, connector_id, display_name, first_served, last_served)
SELECT DISTINCT ON (l.feed, l.project) l.feed, l.project, l.connector_id, l.project,
       l.fetched, l.fetched
FROM upstream_listings l
WHERE l.found
ORDER BY l.feed, l.project, l.fetched DESC;

-- Each connector's health as the connector service last reported it: when its upstream last
-- answered, its last error and when, whether its circuit is open, and since when what it
-- serves is stale (the first failure after the last success).
CREATE TABLE connector_health (
    connector_id text PRIMARY KEY REFERENCES connectors (id) ON DELETE CASCADE,
    last_success timestamptz,
    last_error text NOT NULL DEFAULT '',
    last_error_at timestamptz,
    breaker_open boolean NOT NULL DEFAULT false,
    stale_since timestamptz,
    updated timestamptz NOT NULL DEFAULT now()
);

-- Bytes of each cached file, for the connector's totals (the size is also in ``info``; rows
-- cached before this migration count 0 bytes).
ALTER TABLE upstream_files ADD COLUMN size bigint NOT NULL DEFAULT 0 CHECK (size >= 0);
CREATE INDEX upstream_files_connector_idx ON upstream_files (connector_id);

-- A connector may keep its upstream's whole project-name list (the PEP 691/503 root index),
-- so search finds public names nobody here has used yet, misspelled ones included. One row
-- per name (a few dozen bytes each; PyPI's ~600,000 names take tens of MB with the index),
-- searched with the same trigram index type as project_search.
ALTER TABLE connectors ADD COLUMN name_list boolean NOT NULL DEFAULT false;
CREATE TABLE upstream_name_lists (
    connector_id text PRIMARY KEY REFERENCES connectors (id) ON DELETE CASCADE,
    etag text NOT NULL DEFAULT '',
    last_modified text NOT NULL DEFAULT '',
    names integer NOT NULL DEFAULT 0,
    refreshed timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE upstream_names (
    connector_id text NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    name text NOT NULL,
    PRIMARY KEY (connector_id, name)
);
CREATE INDEX upstream_names_name_trgm_idx ON upstream_names USING gin (name gin_trgm_ops);

-- Filters for mirrors (protocol/file_filters.py): keep only the files the team can install.
ALTER TABLE connectors ADD COLUMN python_versions text[] NOT NULL DEFAULT '{}';
ALTER TABLE connectors ADD COLUMN platforms text[] NOT NULL DEFAULT '{}';
