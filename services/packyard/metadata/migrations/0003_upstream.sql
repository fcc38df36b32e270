-- Connectors (upstream indexes per feed), their credentials, the cache of upstream listings
-- and files, and the origin controls against dependency confusion.

CREATE TABLE connectors (
    -- Stable identity of what a connector cached; rotating credentials never changes it.
    id text PRIMARY KEY CHECK (id <> ''),
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    url text NOT NULL CHECK (url ~ '^https?://'),
    simple_path text NOT NULL DEFAULT '/simple',
    priority integer NOT NULL DEFAULT 100,
    ttl_seconds integer NOT NULL DEFAULT 1800 CHECK (ttl_seconds >= 0),
    include_patterns text[] NOT NULL DEFAULT '{}',
    exclude_patterns text[] NOT NULL DEFAULT '{}',
    file_hosts text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now(),
    UNIQUE (feed, url, simple_path)
);
CREATE INDEX connectors_feed_idx ON connectors (feed, priority);

-- Secrets apart from the connector row: listing a connector never reads them, and replacing
-- them keeps every cached listing and file (they hang off the connector id).
CREATE TABLE connector_credentials (
    connector_id text PRIMARY KEY REFERENCES connectors (id) ON DELETE CASCADE,
    username text NOT NULL,
    password text NOT NULL,
    updated timestamptz NOT NULL DEFAULT now()
);

-- The last listing each connector gave for a project (found = false: upstream 404). Written
-- by the event consumer; a row only ever moves to a higher serial, so replays change nothing.
CREATE TABLE upstream_listings (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    project text NOT NULL,
    connector_id text NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    found boolean NOT NULL,
    -- A serialized packyard.rpc.v1.UpstreamListing (files, versions, status).
    listing bytea NOT NULL,
    etag text NOT NULL DEFAULT '',
    last_modified text NOT NULL DEFAULT '',
    upstream_serial bigint NOT NULL DEFAULT 0,
    fetched timestamptz NOT NULL,
    serial bigint NOT NULL,
    PRIMARY KEY (feed, project, connector_id)
);

-- Upstream files verified and stored in the blob service. Immutable: the first verified
-- bytes of a filename stay, whatever the upstream serves later.
CREATE TABLE upstream_files (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    filename text NOT NULL,
    project text NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- A serialized packyard.rpc.v1.FileInfo.
    info bytea NOT NULL,
    connector_id text NOT NULL DEFAULT '',
    cached timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, filename)
);
CREATE INDEX upstream_files_project_idx ON upstream_files (feed, project);

-- Per project origin controls (CodeArtifact's package origin controls). first_origin records
-- how the name first arrived; NULL overrides mean "the default for that origin".
CREATE TABLE project_origins (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    project text NOT NULL,
    first_origin text NOT NULL DEFAULT '' CHECK (first_origin IN ('', 'hosted', 'upstream')),
    allow_upstream boolean,
    allow_publish boolean,
    updated timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, project)
);

CREATE TABLE feed_origins (
    feed text PRIMARY KEY REFERENCES feeds (name) ON DELETE CASCADE,
    reserved_prefixes text[] NOT NULL DEFAULT '{}',
    merge_upstream boolean NOT NULL DEFAULT false
);
