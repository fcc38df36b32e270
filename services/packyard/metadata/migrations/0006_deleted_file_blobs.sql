-- When each deleted file's bytes stopped being referenced, so the garbage collector keeps
-- them for PACKYARD_GC_DELETED_RETENTION first (the filename stays reserved in
-- filename_registry regardless). A row trigger catches every way a file row goes: deleting
-- the file, its release, its project or its feed (cascades fire row triggers too).
CREATE TABLE deleted_file_blobs (
    sha256 text NOT NULL,
    core_metadata_sha256 text NOT NULL DEFAULT '',
    deleted timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deleted_file_blobs_deleted_idx ON deleted_file_blobs (deleted);

CREATE FUNCTION remember_deleted_file_blob() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deleted_file_blobs (sha256, core_metadata_sha256)
    VALUES (OLD.sha256, OLD.core_metadata_sha256);
    RETURN NULL;
END;
$$;

CREATE TRIGGER files_deleted_blob AFTER DELETE ON files
FOR EACH ROW EXECUTE FUNCTION remember_deleted_file_blob();
