"""The index domain: rules of feeds, uploads, yanks, deletions and project statuses.

Plain async Python over an asyncpg pool. Each operation owns its transaction; the SQL lives
in repository.py and the proto conversion in servicer.py. Errors are PackyardError
subclasses, and a database that cannot be reached is always ``Unavailable``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence

import asyncpg
from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from packyard.common.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from packyard.metadata import audit as audit_log
from packyard.metadata import change_events, db
from packyard.metadata.access import interface as access
from packyard.metadata.audit import AuditContext
from packyard.metadata.index import repository as repo
from packyard.metadata.index.models import (
    CoreMetadata,
    Feed,
    FileRecord,
    PackageType,
    Project,
    ProjectStatus,
    ProjectSummary,
    Registration,
)
from packyard.protocol.filenames import parse_distribution_filename
from packyard.protocol.offer_merge import publish_refusal

log = logging.getLogger(__name__)

LIST_BATCH_SIZE = 1000
ONE_SDIST = "Only one sdist may be uploaded per release."
FILENAME_REUSED = (
    "This filename was previously used by a file that has since been deleted. "
    "Use a different version."
)
FEED_UPDATABLE = frozenset(
    {"description", "anonymous_read", "refuse_local_versions", "max_file_size"}
)
_FEED_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _FileExists(Exception):
    """Rolls back a registration that found the filename taken after taking the lock."""

    def __init__(self, existing: FileRecord) -> None:
        super().__init__(existing.filename)
        self.existing = existing


def file_exists_message(filename: str, sha256: str) -> str:
    # twine --skip-existing, poetry and pdm look for "File already exists": keep the wording.
    return (
        f"File already exists ('{filename}', with sha256 hash '{sha256}'). "
        "See https://pypi.org/help/#file-name-reuse for more information."
    )


def same_bytes_message(filename: str, sha256: str, earlier: str) -> str:
    # Warehouse refuses a file whose digest matches another file's with "File already exists";
    # naming the earlier file tells the user which upload to keep.
    return (
        f"File already exists ('{filename}', with sha256 hash '{sha256}'): the same bytes were "
        f"already uploaded as '{earlier}'. See https://pypi.org/help/#file-name-reuse "
        "for more information."
    )


def parse_version(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        raise InvalidArgument(f"Invalid version: '{version}'.") from None


def version_sort_key(version: str) -> tuple[int, Version | str]:
    """PEP 440 order; a version that does not parse (never stored by uploads) sorts first."""
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _require(value: str, what: str) -> None:
    if not value:
        raise InvalidArgument(f"{what} must not be empty.")


def _check_project_name(name: str) -> None:
    _require(name, "Project name")
    if canonicalize_name(name) != name:
        raise InvalidArgument(f"Project name '{name}' is not normalized (PEP 503).")


def _check_new_file(file: FileRecord) -> None:
    _require(file.feed, "Feed name")
    _check_project_name(file.project)
    _require(file.filename, "Filename")
    if "/" in file.filename or "\\" in file.filename:
        raise InvalidArgument("Cannot upload a file with '/' or '\\' in the name.")
    if not _SHA256.match(file.sha256):
        raise InvalidArgument("The sha256 digest must be 64 lowercase hex characters.")
    if file.size < 0:
        raise InvalidArgument("The file size must not be negative.")
    if file.packagetype not in (PackageType.SDIST, PackageType.WHEEL):
        raise InvalidArgument(f"Unknown package type '{file.packagetype}'.")


def _no_release(feed: str, project: str, version: str) -> NotFound:
    return NotFound(f"Release '{version}' of '{project}' does not exist in '{feed}'.")


def _release_version(feed: str, project: str, version: str) -> str:
    """The canonical form of a release's version; a version that cannot exist is NOT_FOUND."""
    try:
        return canonicalize_version(Version(version))
    except InvalidVersion:
        raise _no_release(feed, project, version) from None


async def _release_project_id(
    conn: asyncpg.Connection, feed: str, project: str, version: str
) -> int:
    row = await repo.get_project(conn, feed, project)
    if row is None:
        raise _no_release(feed, project, version)
    return row.id


def _same_bytes(existing: FileRecord, new: FileRecord) -> bool:
    if existing.sha256 != new.sha256:
        return False
    return not (
        existing.blake2b_256 and new.blake2b_256 and existing.blake2b_256 != new.blake2b_256
    )


def _project_of_file(filename: str) -> str:
    """The project a stored filename belongs to ("" if unreadable: then the whole feed)."""
    try:
        return parse_distribution_filename(filename).project
    except InvalidArgument:
        return ""


class MetadataService(db.PooledService):
    # Every change writes its events (change_events) in its own transaction: which pages
    # changed ((feed, project), project "" for the whole feed), and that who may read changed.

    # Feeds.

    async def create_feed(
        self, feed: Feed, *, if_not_exists: bool = False, audit: AuditContext | None = None
    ) -> tuple[Feed, bool]:
        if not _FEED_NAME.match(feed.name):
            raise InvalidArgument(
                f"Invalid feed name '{feed.name}': use 1-64 letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit."
            )
        if feed.max_file_size < 0:
            raise InvalidArgument("max_file_size must not be negative.")
        async with self._connection() as conn:
            async with conn.transaction():
                created = await repo.insert_feed(conn, feed)
                if created is not None:
                    await audit_log.record(
                        conn, audit, "feed.created", feed=feed.name, target=feed.name
                    )
            if created is not None:
                log.info("feed.created", extra={"feed": feed.name})
                return created, True
            existing = await repo.get_feed(conn, feed.name)
        if existing is None or not if_not_exists:
            raise AlreadyExists(f"Feed '{feed.name}' already exists.")
        return existing, False

    async def get_feed(self, name: str) -> Feed:
        async with self._connection() as conn:
            feed = await repo.get_feed(conn, name)
        if feed is None:
            raise NotFound(f"Feed '{name}' does not exist.")
        return feed

    async def list_feeds(self) -> list[Feed]:
        async with self._connection() as conn:
            return await repo.list_feeds(conn)

    async def update_feed(
        self, feed: Feed, fields: Sequence[str], *, audit: AuditContext | None = None
    ) -> Feed:
        unknown = set(fields) - FEED_UPDATABLE
        if unknown or not fields:
            raise InvalidArgument(
                f"Feed fields that can change: {', '.join(sorted(FEED_UPDATABLE))}."
            )
        if feed.max_file_size < 0:
            raise InvalidArgument("max_file_size must not be negative.")
        changes = {name: getattr(feed, name) for name in fields}
        async with self._connection() as conn, conn.transaction():
            updated = await repo.update_feed(conn, feed.name, changes)
            if updated is None:
                raise NotFound(f"Feed '{feed.name}' does not exist.")
            detail = ", ".join(f"{name}={value!r}" for name, value in sorted(changes.items()))
            await audit_log.record(
                conn, audit, "feed.updated", feed=feed.name, target=feed.name, detail=detail
            )
            await change_events.index_changed(conn, feed.name)
            await change_events.access_changed(conn)  # anonymous_read decides who may read
        log.info("feed.updated", extra={"feed": feed.name})
        return updated

    async def delete_feed(self, name: str, *, audit: AuditContext | None = None) -> None:
        """Delete the feed with its projects, files and permissions (blobs stay, shared)."""
        async with self._connection() as conn, conn.transaction():
            if not await repo.delete_feed(conn, name):
                raise NotFound(f"Feed '{name}' does not exist.")
            await access.delete_feed_permissions(conn, name)
            await audit_log.record(conn, audit, "feed.deleted", feed=name, target=name)
            await change_events.index_changed(conn, name)
            await change_events.access_changed(conn)
        log.info("feed.deleted", extra={"feed": name})

    # Projects and files.

    async def list_projects(
        self,
        feed: str,
        *,
        after: str = "",
        limit: int | None = None,
        batch_size: int = LIST_BATCH_SIZE,
    ) -> AsyncIterator[tuple[list[ProjectSummary], bool]]:
        """Projects of the feed by name, those after ``after``, at most ``limit`` (None = all),
        in batches; no connection is held between batches. Each batch comes with whether the
        page stopped at ``limit`` with more projects left (the caller then hands out a token)."""
        await self.get_feed(feed)
        left = limit
        while True:
            size = batch_size if left is None else min(batch_size, left)
            async with self._connection() as conn:
                # One row more than asked says whether the feed goes on after this batch.
                rows = await repo.list_projects_page(conn, feed, after, size + 1)
            page, feed_goes_on = rows[:size], len(rows) > size
            if left is not None:
                left -= len(page)
            page_full = left == 0
            if page:
                yield page, feed_goes_on and page_full
            if not feed_goes_on or page_full:
                return
            after = page[-1].name

    async def get_project(self, feed: str, name: str) -> Project:
        async with self._connection() as conn:
            # One snapshot, so files, releases and serial agree with each other.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                row = await repo.get_project(conn, feed, name)
                if row is None:
                    raise NotFound(f"Project '{name}' does not exist in feed '{feed}'.")
                releases = await repo.list_releases(conn, row.id, row.display_name)
                files = await repo.list_project_files(conn, row.id)
        releases.sort(key=lambda r: version_sort_key(r.version))
        files.sort(key=lambda f: (version_sort_key(f.version), f.filename))
        return Project(
            feed=row.feed,
            name=row.name,
            display_name=row.display_name,
            status=row.status,
            status_reason=row.status_reason,
            serial=row.serial,
            versions=tuple(r.version for r in releases),
            files=tuple(files),
            releases={r.version: r for r in releases},
        )

    async def get_file(self, feed: str, filename: str) -> FileRecord:
        async with self._connection() as conn:
            file = await repo.get_file(conn, feed, filename)
        if file is None:
            raise NotFound(f"File '{filename}' does not exist in feed '{feed}'.")
        return file

    async def register_file(
        self,
        file: FileRecord,
        metadata: CoreMetadata,
        uploader: str,
        audit: AuditContext | None = None,
    ) -> Registration:
        """Record an uploaded file, its release and its project in one transaction.

        Same filename and bytes again is a no-op; other bytes, or a filename ever used in
        the feed, is ALREADY_EXISTS (Warehouse's rules, which twine --skip-existing knows).
        """
        _check_new_file(file)
        version = file.version or metadata.version
        _require(version, "Version")
        parsed = parse_version(version)
        if metadata.version and canonicalize_version(metadata.version) != canonicalize_version(
            parsed
        ):
            raise InvalidArgument(
                f"Version in metadata '{metadata.version}' does not match '{version}'."
            )
        # A concurrent registration of the same filename can win between our check and our
        # insert; then we decide again against the row it committed.
        for _attempt in range(3):
            try:
                return await self._register(file, version, parsed, metadata, uploader, audit)
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == repo.ONE_SDIST_CONSTRAINT:
                    raise InvalidArgument(ONE_SDIST) from None
                log.info("file.register_race", extra={"file": file.filename})
            except repo.RegistrationRace:
                log.info("file.register_race", extra={"file": file.filename})
        raise Unavailable("Concurrent registrations of this filename; try again.")

    async def _register(
        self,
        file: FileRecord,
        version: str,
        parsed: Version,
        metadata: CoreMetadata,
        uploader: str,
        audit: AuditContext | None,
    ) -> Registration:
        # Two statements under one transaction: lock the project (made if missing), then do
        # every write in one round trip. The rare refusals look again at what is there, so they
        # answer as a step-by-step check would: an existing file first, then the rules.
        async with self._connection() as conn:
            try:
                async with conn.transaction():
                    project = await repo.lock_project_for_file(
                        conn, file.feed, file.project, metadata.name or file.project
                    )
                    if project is None:
                        raise NotFound(f"Feed '{file.feed}' does not exist.")
                    # The gateway asked before storing the bytes; asking again under the lock
                    # closes the window where the name was first pulled from upstream since.
                    refusal = publish_refusal(file.project, project.origin)
                    if refusal:
                        await self._refuse_taken(conn, file, reused_too=False)
                        raise PermissionDenied(refusal)
                    if parsed.local is not None and project.refuse_local_versions:
                        await self._refuse_taken(conn, file, reused_too=False)
                        raise InvalidArgument(
                            f"The use of local versions in '{version}' is not allowed."
                        )
                    # PEP 792: archived and quarantined projects take no new files.
                    if project.status in (ProjectStatus.ARCHIVED, ProjectStatus.QUARANTINED):
                        await self._refuse_taken(conn, file, reused_too=True)
                        raise InvalidArgument(
                            f"Project '{file.project}' is {project.status.value} and does not "
                            "accept new uploads."
                        )
                    # Same bytes under a second filename (Warehouse refuses it too): two names
                    # for one artifact would let a hash-pinned lock file pick either release.
                    # Checked after the filename itself, so a same-name re-upload stays a no-op.
                    earlier = await repo.filename_with_same_bytes(
                        conn, file.feed, file.sha256, file.filename
                    )
                    if earlier is not None:
                        await self._refuse_taken(conn, file, reused_too=False)
                        raise AlreadyExists(same_bytes_message(file.filename, file.sha256, earlier))
                    stored = await repo.register_new_file(
                        conn,
                        file,
                        project_id=project.id,
                        version=version,
                        canonical_version=canonicalize_version(parsed),
                        metadata=metadata,
                        uploader=uploader,
                        audit=audit or AuditContext(actor=uploader),
                        audit_detail=f"{file.project}=={version} sha256={file.sha256}",
                    )
                    if stored is None:
                        await self._refuse_taken(conn, file, reused_too=True)
                        # Reserved by a registration that committed, yet neither there nor
                        # reserved now: cannot happen while rows of the registry are kept.
                        raise repo.RegistrationRace(file.filename)
                    await change_events.index_changed(conn, file.feed, file.project)
            except _FileExists as exists:
                if _same_bytes(exists.existing, file):
                    return Registration(exists.existing, created=False)
                raise AlreadyExists(
                    file_exists_message(file.filename, exists.existing.sha256)
                ) from None
        log.info(
            "file.registered",
            extra={"feed": file.feed, "project": file.project, "file": file.filename},
        )
        return Registration(stored, created=True)

    @staticmethod
    async def _refuse_taken(
        conn: asyncpg.Connection, file: FileRecord, *, reused_too: bool
    ) -> None:
        """Raise for a filename taken in the feed: _FileExists while a file has it, else
        (``reused_too``) FILENAME_REUSED when a deleted file had it. Under the project lock."""
        existing = await repo.get_file(conn, file.feed, file.filename)
        if existing is not None:
            raise _FileExists(existing)
        if reused_too and await repo.filename_registered(conn, file.feed, file.filename):
            raise AlreadyExists(FILENAME_REUSED)

    async def delete_file(
        self, feed: str, filename: str, *, audit: AuditContext | None = None
    ) -> None:
        async with self._connection() as conn, conn.transaction():
            project_id = await repo.delete_file(conn, feed, filename)
            if project_id is None:
                raise NotFound(f"File '{filename}' does not exist in feed '{feed}'.")
            await repo.bump_serial(conn, project_id)
            await audit_log.record(conn, audit, "file.deleted", feed=feed, target=filename)
            await change_events.index_changed(conn, feed, _project_of_file(filename))
        log.info("file.deleted", extra={"feed": feed, "file": filename})

    async def delete_release(
        self, feed: str, project: str, version: str, *, audit: AuditContext | None = None
    ) -> int:
        """Delete every file of a release (their names stay reserved); returns how many."""
        canonical = _release_version(feed, project, version)
        async with self._connection() as conn, conn.transaction():
            project_id = await _release_project_id(conn, feed, project, version)
            release_id = await repo.get_release_id(conn, project_id, canonical)
            if release_id is None:
                raise _no_release(feed, project, version)
            count = await repo.delete_release(conn, release_id)
            await repo.bump_serial(conn, project_id)
            await audit_log.record(
                conn, audit, "release.deleted", feed=feed, target=f"{project}=={version}",
                detail=f"{count} files",
            )  # fmt: skip
            await change_events.index_changed(conn, feed, project)
        log.info("release.deleted", extra={"feed": feed, "project": project, "version": version})
        return count

    async def set_release_yanked(
        self,
        feed: str,
        project: str,
        version: str,
        *,
        yanked: bool,
        reason: str,
        audit: AuditContext | None = None,
    ) -> int:
        """Yank or unyank a release (PEP 592); returns how many files it has."""
        canonical = _release_version(feed, project, version)
        async with self._connection() as conn, conn.transaction():
            project_id = await _release_project_id(conn, feed, project, version)
            release_id = await repo.set_release_yanked(
                conn, project_id, canonical, yanked, reason if yanked else ""
            )
            if release_id is None:
                raise _no_release(feed, project, version)
            await repo.bump_serial(conn, project_id)
            count = await repo.count_release_files(conn, release_id)
            await audit_log.record(
                conn,
                audit,
                "release.yanked" if yanked else "release.unyanked",
                feed=feed,
                target=f"{project}=={version}",
                detail=reason if yanked else "",
            )
            await change_events.index_changed(conn, feed, project)
        log.info(
            "release.yanked" if yanked else "release.unyanked",
            extra={"feed": feed, "project": project, "version": version},
        )
        return count

    async def set_project_status(
        self,
        feed: str,
        project: str,
        status: ProjectStatus,
        reason: str,
        *,
        audit: AuditContext | None = None,
    ) -> Project:
        async with self._connection() as conn, conn.transaction():
            found = await repo.set_project_status(conn, feed, project, status, reason)
            if found:
                await audit_log.record(
                    conn, audit, "project.status", feed=feed, target=project,
                    detail=f"{status.value}: {reason}" if reason else status.value,
                )  # fmt: skip
                await change_events.index_changed(conn, feed, project)
        if not found:
            raise NotFound(f"Project '{project}' does not exist in feed '{feed}'.")
        log.info("project.status", extra={"feed": feed, "project": project, "status": status})
        return await self.get_project(feed, project)
