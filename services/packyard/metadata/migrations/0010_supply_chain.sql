-- Supply chain (issue 17).
-- An upload whose bytes are already in the feed under another filename is refused; this index
-- answers "which file has this sha256" without a scan of the feed's files.
CREATE INDEX files_feed_sha256_idx ON files (feed, sha256);
