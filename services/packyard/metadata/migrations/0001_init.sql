-- Feeds, projects, releases, files, the filename registry and API keys.

-- One global sequence: every change to a project page takes the next value, so a serial never
-- goes backwards and two pages never share one (pages use it in their ETag and
-- X-PyPI-Last-Serial).
CREATE SEQUENCE project_serial;

CREATE TABLE feeds (
    name text PRIMARY KEY CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    anonymous_read boolean NOT NULL DEFAULT false,
    refuse_local_versions boolean NOT NULL DEFAULT false,
    -- Bytes; 0 means the service default.
    max_file_size bigint NOT NULL DEFAULT 0 CHECK (max_file_size >= 0),
    created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    -- PEP 503 normalized; the gateway normalizes once at the edge.
    name text NOT NULL CHECK (name <> ''),
    display_name text NOT NULL,
    -- PEP 792.
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'archived', 'quarantined', 'deprecated')),
    status_reason text NOT NULL DEFAULT '',
    serial bigint NOT NULL DEFAULT nextval('project_serial'),
    created timestamptz NOT NULL DEFAULT now(),
    UNIQUE (feed, name)
);

CREATE TABLE releases (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- As first uploaded; canonical_version (packaging.utils.canonicalize_version) makes
    -- "1.0" and "1.0.0" the same release, as on PyPI.
    version text NOT NULL CHECK (version <> ''),
    canonical_version text NOT NULL,
    -- PEP 592: a yank applies to every file of the release.
    yanked boolean NOT NULL DEFAULT false,
    yanked_reason text NOT NULL DEFAULT '',
    metadata_version text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    description_content_type text NOT NULL DEFAULT '',
    requires_python text NOT NULL DEFAULT '',
    requires_dist text[] NOT NULL DEFAULT '{}',
    classifiers text[] NOT NULL DEFAULT '{}',
    license text NOT NULL DEFAULT '',
    license_expression text NOT NULL DEFAULT '',
    author text NOT NULL DEFAULT '',
    author_email text NOT NULL DEFAULT '',
    maintainer text NOT NULL DEFAULT '',
    maintainer_email text NOT NULL DEFAULT '',
    keywords text NOT NULL DEFAULT '',
    home_page text NOT NULL DEFAULT '',
    project_urls text[] NOT NULL DEFAULT '{}',
    provides_extra text[] NOT NULL DEFAULT '{}',
    platforms text[] NOT NULL DEFAULT '{}',
    download_url text NOT NULL DEFAULT '',
    license_files text[] NOT NULL DEFAULT '{}',
    dynamic text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, canonical_version)
);

CREATE TABLE files (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    release_id bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    filename text NOT NULL CHECK (filename <> ''),
    size bigint NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    blake2b_256 text NOT NULL DEFAULT '',
    md5 text NOT NULL DEFAULT '',
    requires_python text NOT NULL DEFAULT '',
    packagetype text NOT NULL CHECK (packagetype IN ('sdist', 'bdist_wheel')),
    python_version text NOT NULL DEFAULT '',
    core_metadata_sha256 text NOT NULL DEFAULT '',
    origin text NOT NULL DEFAULT 'hosted' CHECK (origin IN ('hosted', 'upstream')),
    upstream_url text NOT NULL DEFAULT '',
    upload_time timestamptz NOT NULL DEFAULT now(),
    uploader text NOT NULL DEFAULT '',
    CONSTRAINT files_feed_filename_key UNIQUE (feed, filename)
);
CREATE INDEX files_project_idx ON files (project_id);
-- Backs "Only one sdist may be uploaded per release." under concurrent uploads.
CREATE UNIQUE INDEX files_one_sdist_per_release ON files (release_id) WHERE packagetype = 'sdist';

-- Every filename ever registered in a feed. Rows are never deleted, so the name of a deleted
-- file can never be reused for other bytes (RELIABILITY invariant I3).
CREATE TABLE filename_registry (
    feed text NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    filename text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, filename)
);

CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The public lookup id inside "pky_<prefix>_<secret>".
    prefix text NOT NULL UNIQUE,
    -- sha256 of the whole key; keys are high-entropy, so a fast hash is enough.
    key_hash bytea NOT NULL CHECK (length(key_hash) = 32),
    name text NOT NULL,
    is_admin boolean NOT NULL DEFAULT false,
    publish_feeds text[] NOT NULL DEFAULT '{}',
    read_feeds text[] NOT NULL DEFAULT '{}',
    created timestamptz NOT NULL DEFAULT now(),
    expires timestamptz,
    revoked timestamptz
);
