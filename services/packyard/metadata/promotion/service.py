"""The promotion domain: copy a release from one feed to another, under the target's policy.

A promotion is one transaction: lock the target project (as an upload does, so promotions
and uploads of a project run one after the other), copy the release row and every file row
(the blobs are content-addressed, so the copy points at the same bytes), reserve the
filenames, write the promotion record, its audit row and the target's change event.
"""

from __future__ import annotations

import logging

import asyncpg
from packaging.utils import canonicalize_version

from packyard.common.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from packyard.metadata import audit as audit_log
from packyard.metadata import change_events, db
from packyard.metadata.audit import AuditContext
from packyard.metadata.index import interface as index
from packyard.metadata.promotion import repository as repo
from packyard.metadata.promotion.models import (
    Promotion,
    PromotionPolicy,
    PromotionRequest,
    PromotionResult,
    SourceRelease,
)
from packyard.protocol.offer_merge import publish_refusal

log = logging.getLogger(__name__)

MAX_LISTED = 1000


class _NothingToDo(Exception):
    """Rolls back a promotion whose files were all in the target already (the serial bump of
    the project lock included)."""

    def __init__(self, filenames: list[str]) -> None:
        super().__init__(len(filenames))
        self.filenames = filenames


def policy_refusal(
    policy: PromotionPolicy, source_feed: str, *, promote_right: bool = False
) -> str | None:
    """Why the target's policy refuses a promotion from ``source_feed`` by a caller that holds
    (``promote_right``) or lacks the promote right on the target (None: it allows it)."""
    if policy.require_promote_right and not promote_right:
        return (
            f"Feed '{policy.feed}' accepts promotions only from principals with the promote "
            "right on it; publish alone does not suffice."
        )
    if not policy.allowed_sources or source_feed in policy.allowed_sources:
        return None
    allowed = ", ".join(policy.allowed_sources)
    return f"Feed '{policy.feed}' accepts promotions only from: {allowed}."


class PromotionService(db.PooledService):
    async def promote(
        self, request: PromotionRequest, *, audit: AuditContext | None = None
    ) -> PromotionResult:
        if request.source_feed == request.target_feed:
            raise InvalidArgument("Source and target feed are the same.")
        canonical = canonicalize_version(index.parse_version(request.version))
        try:
            return await self._promote(request, canonical, audit or AuditContext())
        except _NothingToDo as nothing:
            async with self._connection() as conn:
                files = [
                    await index.get_file(conn, request.target_feed, name)
                    for name in nothing.filenames
                ]
            return PromotionResult(tuple(f for f in files if f is not None), promoted=False)

    async def _promote(
        self, request: PromotionRequest, canonical: str, audit: AuditContext
    ) -> PromotionResult:
        source, target = request.source_feed, request.target_feed
        async with self._connection() as conn, conn.transaction():
            if not await index.feed_exists(conn, target):
                raise NotFound(f"Feed '{target}' does not exist.")
            policy = await repo.get_policy(conn, target)
            refusal = policy_refusal(policy, source, promote_right=request.promote_right)
            if refusal:
                raise PermissionDenied(refusal)
            release = await repo.get_source_release(conn, source, request.project, canonical)
            if release is None or not release.files:
                # A proxy feed's release: the upstream files it cached (the gateway has the
                # connector fetch them first).
                release = await repo.cached_upstream_release(
                    conn, source, request.project, canonical
                )
            if release is None:
                raise NotFound(
                    f"Release '{request.version}' of '{request.project}' has no files in "
                    f"feed '{source}'."
                )
            if release.yanked and not request.force:
                raise FailedPrecondition(
                    f"Release '{release.version}' of '{request.project}' is yanked in "
                    f"'{source}'; promote it with force to copy it anyway."
                )
            names = [f.filename for f in release.files]
            copied = await self._copy(conn, request, release)
            if not copied:
                raise _NothingToDo(names)
            await repo.insert_promotion(
                conn,
                Promotion(source, target, request.project, release.version, audit.actor, copied),
                canonical,
            )
            await audit_log.record(
                conn, audit, "release.promoted", feed=target,
                target=f"{request.project}=={release.version}",
                detail=f"from {source} to {target}: {copied} of {len(release.files)} files",
            )  # fmt: skip
            await change_events.index_changed(conn, target, request.project)
            files = [await index.get_file(conn, target, name) for name in names]
        log.info(
            "release.promoted",
            extra={"feed": target, "source": source, "project": request.project,
                   "version": release.version, "files": copied},
        )  # fmt: skip
        return PromotionResult(tuple(f for f in files if f is not None), promoted=True)

    @staticmethod
    async def _copy(
        conn: asyncpg.Connection, request: PromotionRequest, release: SourceRelease
    ) -> int:
        """Copy the files the target lacks; returns how many. Raises for a conflict."""
        target = request.target_feed
        project = await index.lock_project_for_file(
            conn, target, request.project, release.display_name
        )
        if project is None:
            raise NotFound(f"Feed '{target}' does not exist.")
        missing = []
        for file in release.files:
            existing = await repo.target_file_digests(conn, target, file.filename)
            if existing is None:
                missing.append(file)
            elif existing[0] != file.sha256:
                raise AlreadyExists(index.file_exists_message(file.filename, existing[0]))
        if not missing:
            return 0
        # The copies are the target's own files, so its origin controls apply as to an upload.
        refusal = publish_refusal(request.project, project.origin)
        if refusal:
            raise PermissionDenied(refusal)
        if project.status in (index.ProjectStatus.ARCHIVED, index.ProjectStatus.QUARANTINED):
            raise InvalidArgument(
                f"Project '{request.project}' is {project.status.value} in '{target}' and does "
                "not accept new files."
            )
        if release.release_id:
            release_id = await repo.copy_release(
                conn, release.release_id, project.id, release.canonical_version
            )
        else:
            requires = next((f.cached.requires_python for f in missing if f.cached), "")
            release_id = await repo.bare_release(
                conn, project.id, release.version, release.canonical_version, requires
            )
        for file in missing:
            if not await repo.reserve_filename(conn, target, file.filename):
                raise AlreadyExists(index.FILENAME_REUSED)
            if file.cached is not None:
                await repo.insert_cached_file(conn, target, project.id, release_id, file.cached)
            elif file.id is not None:
                await repo.copy_file(conn, target, project.id, release_id, file.id)
        return len(missing)

    async def get_policy(self, feed: str) -> PromotionPolicy:
        async with self._connection() as conn:
            if not await index.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' does not exist.")
            return await repo.get_policy(conn, feed)

    async def set_policy(
        self, policy: PromotionPolicy, *, audit: AuditContext | None = None
    ) -> PromotionPolicy:
        async with self._connection() as conn, conn.transaction():
            if not await index.feed_exists(conn, policy.feed):
                raise NotFound(f"Feed '{policy.feed}' does not exist.")
            await repo.set_policy(conn, policy)
            await audit_log.record(
                conn, audit, "feed.promotion_policy", feed=policy.feed, target=policy.feed,
                detail="allowed sources: " + (", ".join(policy.allowed_sources) or "any")
                + ("; promote right required" if policy.require_promote_right else ""),
            )  # fmt: skip
        return policy

    async def list_promotions(self, feed: str, limit: int) -> list[Promotion]:
        async with self._connection() as conn:
            return await repo.list_promotions(conn, feed, min(limit or 100, MAX_LISTED))
