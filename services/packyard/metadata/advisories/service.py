"""The advisories domain: store OSV records, match a project's versions, keep feed policies
and exceptions. Matching itself is ``protocol.osv`` (pure); this module owns transactions.

A policy or exception change, and the end of an import, announce ``index_changed`` for the
feeds concerned: their cached pages carry the advisories and what the policy decided.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from packyard.common.errors import InvalidArgument, NotFound
from packyard.metadata import audit, change_events, db
from packyard.metadata.advisories import repository as repo
from packyard.metadata.advisories.models import (
    Finding,
    ImportCounts,
    SupplyPolicy,
    VersionFindings,
)
from packyard.metadata.audit import AuditContext
from packyard.protocol.licenses import normalize_expression
from packyard.protocol.names import normalize
from packyard.protocol.osv import (
    Advisory,
    InvalidAdvisory,
    advisory_to_json,
    affects,
    fixed_in,
    parse_advisory,
    parse_record_bytes,
)

log = logging.getLogger(__name__)

MAX_BATCH = 2000
MAX_VERSIONS = 10_000


class AdvisoryService(db.PooledService):
    async def import_batch(
        self, source: str, records: Sequence[bytes], *, last: bool, etag: str = ""
    ) -> ImportCounts:
        """Store one batch of OSV records; with ``last``, record the source as imported."""
        if len(records) > MAX_BATCH:
            raise InvalidArgument(f"At most {MAX_BATCH} records per batch.")
        rows: list[tuple[str, list[str], str, bool, dict[str, Any]]] = []
        projects: list[tuple[str, str]] = []
        skipped = 0
        for data in records:
            try:
                advisory = parse_record_bytes(data)
            except InvalidAdvisory:
                skipped += 1
                continue
            if not advisory.affected:
                skipped += 1
                continue
            rows.append(_row(advisory))
            projects.extend((project, advisory.id) for project in advisory.projects)
        async with self._connection() as conn, conn.transaction():
            if rows:
                await repo.store_advisories(conn, rows, projects)
            if last:
                await repo.record_source(conn, source, etag)
                # Every feed: even one that ignores advisories lists them (JSON API, UI).
                for feed in await repo.all_feeds(conn):
                    await change_events.index_changed(conn, feed)
        if last:
            log.info("advisories.imported", extra={"source": source})
        return ImportCounts(stored=len(rows), skipped=skipped)

    async def source(self, source: str) -> tuple[str, datetime] | None:
        async with self._connection() as conn:
            return await repo.get_source(conn, source)

    async def check_project(
        self, feed: str, project: str, versions: Sequence[str]
    ) -> tuple[SupplyPolicy, list[VersionFindings]]:
        """The feed's policy and, for each affected version given, its advisories."""
        if len(versions) > MAX_VERSIONS:
            raise InvalidArgument(f"At most {MAX_VERSIONS} versions per check.")
        name = normalize(project)
        async with self._connection() as conn:
            policy = await repo.get_policy(conn, feed)
            records = await repo.project_records(conn, name)
            excepted = await repo.active_exceptions(conn, feed) if records else set()
        advisories = [parse_advisory(record) for record in records]
        return policy, match_versions(advisories, name, versions, excepted)

    async def get_policy(self, feed: str) -> SupplyPolicy:
        async with self._connection() as conn:
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' does not exist.")
            return await repo.get_policy(conn, feed)

    async def set_policy(self, policy: SupplyPolicy, context: AuditContext) -> SupplyPolicy:
        for spdx_id in (*policy.license_allow, *policy.license_deny):
            if normalize_expression(spdx_id) is None:
                raise InvalidArgument(f"'{spdx_id}' is not an SPDX license id.")
        for uri in policy.provenance_publishers:
            if not uri.startswith("https://"):
                raise InvalidArgument(f"'{uri}' is not a source repository URL (https://…).")
        async with self._connection() as conn, conn.transaction():
            if not await repo.feed_exists(conn, policy.feed):
                raise NotFound(f"Feed '{policy.feed}' does not exist.")
            await repo.set_policy(conn, policy)
            await audit.record(
                conn, context, "feed.supply_policy", feed=policy.feed,
                detail=(
                    f"vulnerabilities={policy.vulnerabilities.value} "
                    f"licenses={policy.licenses.value} allow={','.join(policy.license_allow)} "
                    f"deny={','.join(policy.license_deny)} "
                    f"unknown_license={policy.unknown_license.value} "
                    f"provenance_publishers={','.join(policy.provenance_publishers)}"
                ),
            )  # fmt: skip
            await change_events.index_changed(conn, policy.feed)
        return policy

    async def add_exception(
        self, feed: str, advisory: str, expires: datetime, reason: str, context: AuditContext
    ) -> str:
        """Allow ``advisory`` (an id or alias) in ``feed`` until ``expires``; its OSV id."""
        if expires <= datetime.now(UTC):
            raise InvalidArgument("The exception's expiry must be in the future.")
        async with self._connection() as conn, conn.transaction():
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' does not exist.")
            advisory_id = await repo.resolve_advisory(conn, advisory)
            if advisory_id is None:
                raise NotFound(f"Advisory '{advisory}' is not known; import advisories first.")
            await repo.add_exception(conn, feed, advisory_id, expires, reason, context.actor)
            await audit.record(
                conn, context, "advisory.exception", feed=feed, target=advisory_id,
                detail=f"until {expires.isoformat()}: {reason}",
            )  # fmt: skip
            await change_events.index_changed(conn, feed)
        return advisory_id


def match_versions(
    advisories: Sequence[Advisory], project: str, versions: Sequence[str], excepted: set[str]
) -> list[VersionFindings]:
    found = []
    for version in dict.fromkeys(versions):
        hits = tuple(
            Finding(
                id=a.id,
                aliases=a.aliases,
                summary=a.summary,
                details=a.details,
                link=a.link,
                fixed_in=tuple(fixed_in(a, project)),
                excepted=a.id in excepted,
            )
            for a in advisories
            if affects(a, project, version)
        )
        if hits:
            found.append(VersionFindings(version, hits))
    return found


def _row(advisory: Advisory) -> tuple[str, list[str], str, bool, dict[str, Any]]:
    return (
        advisory.id,
        list(advisory.aliases),
        advisory.modified,
        advisory.withdrawn is not None,
        advisory_to_json(advisory),
    )
