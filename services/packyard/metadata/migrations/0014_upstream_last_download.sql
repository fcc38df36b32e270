-- When a cached upstream file was last downloaded, so retention's "cached files not downloaded
-- for N days" asks about use, not about when the file was fetched. NULL: no download recorded
-- since this column exists (retention then goes by the caching time).
ALTER TABLE upstream_downloads ADD COLUMN last_downloaded timestamptz;
