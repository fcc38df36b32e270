"""The retention domain: a feed's rules, and runs of them.

A real run decides and removes in one transaction under a per-feed advisory lock (one replica
at a time; a second run is FAILED_PRECONDITION), writing one audit row per removal (the
webhooks' "retention" event) and the index events of the projects it changed. A dry run
decides from the same rows with the same function (policy.plan) and removes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from packyard.common.errors import FailedPrecondition, NotFound
from packyard.metadata import audit as audit_log
from packyard.metadata import change_events, db
from packyard.metadata.audit import AuditContext
from packyard.metadata.index.interface import feed_exists
from packyard.metadata.retention import repository as repo
from packyard.metadata.retention.models import RetentionRules, RetentionRun
from packyard.metadata.retention.policy import plan

log = logging.getLogger(__name__)


class RetentionService(db.PooledService):
    async def get_rules(self, feed: str) -> RetentionRules:
        async with self._connection() as conn:
            if not await feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' does not exist.")
            return await repo.get_rules(conn, feed)

    async def feeds_with_rules(self) -> list[str]:
        async with self._connection() as conn:
            return await repo.feeds_with_rules(conn)

    async def set_rules(
        self, rules: RetentionRules, *, audit: AuditContext | None = None
    ) -> RetentionRules:
        async with self._connection() as conn, conn.transaction():
            if not await feed_exists(conn, rules.feed):
                raise NotFound(f"Feed '{rules.feed}' does not exist.")
            await repo.set_rules(conn, rules)
            await audit_log.record(
                conn, audit, "feed.retention_rules", feed=rules.feed, target=rules.feed,
                detail=f"keep_latest={rules.keep_latest} "
                f"prerelease_max_age_days={rules.prerelease_max_age_days} "
                f"cached_max_age_days={rules.cached_max_age_days} quota_bytes={rules.quota_bytes}",
            )  # fmt: skip
        return rules

    async def run(
        self, feed: str, *, dry_run: bool, include_promoted: bool = False,
        audit: AuditContext | None = None, now: datetime | None = None,
    ) -> RetentionRun:  # fmt: skip
        now = now or datetime.now(UTC)
        async with self._connection() as conn, conn.transaction():
            if not await feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' does not exist.")
            if not dry_run and not await repo.try_lock(conn, feed):
                raise FailedPrecondition(f"Retention is already running on feed '{feed}'.")
            removals = plan(
                await repo.get_rules(conn, feed),
                await repo.hosted_releases(conn, feed),
                await repo.cached_files(conn, feed),
                now=now,
                include_promoted=include_promoted,
            )
            if not dry_run and removals:
                hosted = [f for r in removals if r.version for f in r.filenames]
                cached = [f for r in removals if not r.version for f in r.filenames]
                await repo.delete_files(conn, feed, hosted)
                await repo.delete_cached(conn, feed, cached)
                for removal in removals:
                    target = (
                        f"{removal.project}=={removal.version}"
                        if removal.version
                        else removal.filenames[0]
                    )
                    await audit_log.record(
                        conn, audit, "retention.removed", feed=feed, target=target,
                        detail=f"{removal.reason}: {len(removal.filenames)} files, "
                        f"{removal.bytes} bytes",
                    )  # fmt: skip
                for project in sorted({r.project for r in removals}):
                    await change_events.index_changed(conn, feed, project)
        if not dry_run:
            log.info("retention.ran", extra={"feed": feed, "removals": len(removals)})
        return RetentionRun(tuple(removals), dry_run=dry_run)
