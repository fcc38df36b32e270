-- The catalog: a search row per project, kept current by triggers, and download counters.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per project with what listings and search need, so neither has to pick the latest
-- release of every project at query time. Triggers on files and releases keep it current:
-- every writer of those tables (uploads, yanks, deletes, connectors) updates it for free.
CREATE TABLE project_search (
    project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    feed text NOT NULL,
    name text NOT NULL,
    display_name text NOT NULL,
    latest_version text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    keywords text NOT NULL DEFAULT '',
    author text NOT NULL DEFAULT '',
    last_upload timestamptz,
    document tsvector NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX project_search_feed_name_idx ON project_search (feed, name);
CREATE INDEX project_search_feed_upload_idx ON project_search (feed, last_upload DESC);
-- Fuzzy (%), prefix (LIKE 'x%') and exact name matches all use this index.
CREATE INDEX project_search_name_trgm_idx ON project_search USING gin (name gin_trgm_ops);
CREATE INDEX project_search_document_idx ON project_search USING gin (document);

-- Downloads are counted per file and per project; the project's count survives the deletion
-- of its files, so a project's total never goes down.
CREATE TABLE file_downloads (
    file_id bigint PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    count bigint NOT NULL DEFAULT 0 CHECK (count >= 0)
);
CREATE TABLE project_downloads (
    project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    count bigint NOT NULL DEFAULT 0 CHECK (count >= 0)
);

-- The newest uploads of a feed (RSS) without scanning every file.
CREATE INDEX files_feed_upload_time_idx ON files (feed, upload_time DESC);
CREATE INDEX files_release_idx ON files (release_id);

-- The release number of a canonical version as numbers ("1.10.2rc1" -> {1,10,2}), so 1.10
-- sorts after 1.9 in SQL. Pre-releases are told apart by catalog_is_prerelease.
CREATE FUNCTION catalog_release_number(canonical text) RETURNS numeric[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(
        string_to_array(substring(canonical FROM '^[0-9]+(?:\.[0-9]+)*'), '.')::numeric[],
        '{}'::numeric[]
    )
$$;

CREATE FUNCTION catalog_is_prerelease(canonical text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT split_part(canonical, '+', 1) ~ '([0-9](a|b|rc)[0-9]*|\.dev[0-9]*)$'
$$;

-- Text as words for full-text search: the parser takes "client/server" for one file path
-- and "a_b" for one word, where a reader sees two words.
CREATE FUNCTION catalog_words(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(coalesce(value, ''), '[/_,;:|]+', ' ', 'g')
$$;

-- Rebuild the search row of one project from its releases and files. "Latest" prefers a
-- release that has files, is not yanked and is final, then the highest release number.
CREATE FUNCTION catalog_refresh_project(pid bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_search AS s (
        project_id, feed, name, display_name, latest_version, summary, keywords, author,
        last_upload, document
    )
    SELECT p.id, p.feed, p.name, p.display_name,
           coalesce(r.version, ''), coalesce(r.summary, ''), coalesce(r.keywords, ''),
           coalesce(r.author, ''),
           (SELECT max(f.upload_time) FROM files f WHERE f.project_id = p.id),
           setweight(to_tsvector('english', replace(p.name, '-', ' ')), 'A')
           || setweight(to_tsvector('english', catalog_words(r.keywords)), 'B')
           || setweight(to_tsvector('english', catalog_words(r.summary)), 'C')
    FROM projects p
    LEFT JOIN LATERAL (
        SELECT rel.version, rel.summary, rel.keywords, rel.author
        FROM releases rel
        WHERE rel.project_id = p.id
        ORDER BY EXISTS (SELECT 1 FROM files f WHERE f.release_id = rel.id) DESC,
                 rel.yanked,
                 catalog_is_prerelease(rel.canonical_version),
                 catalog_release_number(rel.canonical_version) DESC,
                 rel.created DESC
        LIMIT 1
    ) r ON true
    WHERE p.id = pid
    ON CONFLICT (project_id) DO UPDATE SET
        display_name = EXCLUDED.display_name,
        latest_version = EXCLUDED.latest_version,
        summary = EXCLUDED.summary,
        keywords = EXCLUDED.keywords,
        author = EXCLUDED.author,
        last_upload = EXCLUDED.last_upload,
        document = EXCLUDED.document;
END
$$;

CREATE FUNCTION catalog_files_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM catalog_refresh_project(OLD.project_id);
    ELSE
        PERFORM catalog_refresh_project(NEW.project_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER catalog_files_changed AFTER INSERT OR DELETE ON files
FOR EACH ROW EXECUTE FUNCTION catalog_files_changed();

CREATE TRIGGER catalog_release_yanked AFTER UPDATE OF yanked ON releases
FOR EACH ROW WHEN (OLD.yanked IS DISTINCT FROM NEW.yanked)
EXECUTE FUNCTION catalog_files_changed();

-- Projects made before this migration.
SELECT catalog_refresh_project(id) FROM projects;
