-- When a cached upstream file was last downloaded, so retention's "cached files not downloaded
-- for N days" asks about use, not about when the file was fetched. NULL: no download recorded
-- since this column exists (retention then goes by the caching time).
ALTER TABLE upstream_downloads ADD COLUMN last_downloaded timestamptz;

-- The promote right: promote releases into a feed without publishing to it (it includes read;
-- only admin includes it). A feed's promotion policy may require it.
ALTER TABLE permissions DROP CONSTRAINT permissions_level_check;
ALTER TABLE permissions ADD CONSTRAINT permissions_level_check
    CHECK (level IN ('read', 'publish', 'yank', 'admin', 'promote'));
ALTER TABLE promotion_policies ADD COLUMN require_promote_right boolean NOT NULL DEFAULT false;
