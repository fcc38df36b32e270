"""Retention on a schedule (PACKYARD_RETENTION_INTERVAL): each pass runs the rules of every
feed that has some, as `packyard retention run FEED` would.

Replicas all run the pass; a feed's run holds its advisory lock (service.run), so one replica
at a time prunes a feed and the others skip it until their next pass.
"""

from __future__ import annotations

import logging

from packyard.common.errors import FailedPrecondition, NotFound
from packyard.metadata.audit import AuditContext
from packyard.metadata.retention.service import RetentionService

log = logging.getLogger(__name__)

# The audit log's actor for removals no person asked for.
SCHEDULE_ACTOR = AuditContext(actor="retention-schedule")


class ScheduledRetention:
    def __init__(self, service: RetentionService) -> None:
        self._service = service

    async def run(self) -> int:
        """One pass over every feed with rules; returns how many releases/files it removed."""
        removed = 0
        for feed in await self._service.feeds_with_rules():
            try:
                run = await self._service.run(feed, dry_run=False, audit=SCHEDULE_ACTOR)
            except FailedPrecondition:
                log.info("retention.skipped", extra={"feed": feed, "reason": "locked"})
                continue
            except NotFound:  # deleted since it was listed
                continue
            removed += len(run.removals)
        return removed
