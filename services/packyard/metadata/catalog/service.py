"""The catalog domain: search, listings, download counts and recent releases over a pool.

Who may read which feed is the caller's business: every call names the feeds it covers.
"""

from __future__ import annotations

import logging
import re

import asyncpg
from packaging.utils import canonicalize_name

from packyard.common.errors import InvalidArgument, NotFound, Unavailable
from packyard.metadata import db
from packyard.metadata.catalog import repository as repo
from packyard.metadata.catalog.models import (
    CatalogProject,
    DownloadCounts,
    FeedStats,
    ProjectOrder,
    ProjectOrigin,
    ProjectPage,
    ReleaseEntry,
)
from packyard.metadata.catalog.ranking import rank
from packyard.protocol.filenames import InvalidFilename, parse_distribution_filename

log = logging.getLogger(__name__)

DEFAULT_SEARCH_LIMIT = 20
MAX_SEARCH_LIMIT = 100
CANDIDATES = 60
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DEFAULT_RECENT = 40
MAX_RECENT = 200
MAX_QUERY_LENGTH = 200
MAX_DOWNLOAD_BATCH = 10_000

# Runs of separators (and spaces, which a search box adds) become one "-", as PEP 503 does
# for names: "Flask_SQLAlchemy", "flask.sqlalchemy" and "flask sqlalchemy" are one query.
_SEPARATORS = re.compile(r"[-_.\s]+")


def name_query(query: str) -> str:
    """The search text as a normalized project name."""
    return _SEPARATORS.sub("-", query.strip().lower()).strip("-")


def project_of(filename: str) -> str:
    """The normalized project a distribution filename names ("" when it names none)."""
    try:
        return parse_distribution_filename(filename).project
    except InvalidFilename:
        # Older sdist formats (.zip, .tar.bz2) that upstreams still serve: NAME-VERSION.EXT.
        stem, dash, _ = filename.rpartition("-")
        return canonicalize_name(stem) if dash else ""


def _bounded(value: int, default: int, maximum: int) -> int:
    if value < 0:
        raise InvalidArgument("Limits and page numbers must not be negative.")
    return min(value or default, maximum)


class CatalogService(db.PooledService):
    async def search(self, query: str, feeds: list[str], limit: int = 0) -> list[CatalogProject]:
        text = query.strip()[:MAX_QUERY_LENGTH]
        normalized = name_query(text)
        if not normalized or not feeds:
            return []
        wanted = _bounded(limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)
        async with self._connection() as conn:
            # More candidates than asked for: the final ranking may lift one from below.
            candidates = await repo.search(
                conn, sorted(set(feeds)), normalized, text, max(wanted * 3, CANDIDATES)
            )
        return rank(candidates, normalized, wanted)

    async def list_projects(
        self,
        feed: str,
        order: ProjectOrder,
        page: int = 1,
        page_size: int = 0,
        origin: ProjectOrigin | None = None,
        offset: int | None = None,
    ) -> ProjectPage:
        """One page of the feed's projects, hosted and served from upstream (or one origin),
        by page number or, when ``offset`` is given (a page token's), from that offset."""
        size = _bounded(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        start = (_bounded(page, 1, 1_000_000) - 1) * size if offset is None else offset
        async with self._connection() as conn:
            total = await repo.count_projects(conn, feed, origin)
            projects = await repo.list_projects(conn, feed, order, size, start, origin)
        return ProjectPage(tuple(projects), total, start + len(projects))

    async def feed_stats(self, feeds: list[str]) -> list[FeedStats]:
        if not feeds:
            return []
        async with self._connection() as conn:
            found = {s.feed: s for s in await repo.feed_stats(conn, sorted(set(feeds)))}
        # Feeds with nothing in them get a row of zeros, so callers need not tell them apart.
        return [found.get(feed, FeedStats(feed)) for feed in feeds]

    async def record_downloads(self, counts: list[tuple[str, str, int]]) -> int:
        if len(counts) > MAX_DOWNLOAD_BATCH:
            raise InvalidArgument(f"At most {MAX_DOWNLOAD_BATCH} counts per batch.")
        if any(n < 0 for _, _, n in counts):
            raise InvalidArgument("Download counts must not be negative.")
        if not counts:
            return 0
        # The project a filename names: how a download of an upstream file (no files row;
        # perhaps not even cached yet) finds the project it counts for.
        named = [(feed, filename, n, project_of(filename)) for feed, filename, n in counts]
        for attempt in range(3):
            try:
                async with self._connection() as conn:
                    return await repo.record_downloads(conn, named)
            except asyncpg.DeadlockDetectedError:
                log.info("downloads.deadlock_retry", extra={"attempt": attempt})
        raise Unavailable("Could not record downloads; try again.")

    async def download_counts(self, feed: str, project: str) -> DownloadCounts:
        async with self._connection() as conn:
            found = await repo.project_id(conn, feed, project)
            if found is None:
                upstream = await repo.upstream_file_downloads(conn, feed, project)
                if upstream is None:
                    raise NotFound(f"Project '{project}' does not exist in feed '{feed}'.")
                return DownloadCounts(project=sum(upstream.values()), files=upstream)
            return DownloadCounts(
                project=await repo.project_downloads(conn, found),
                files=await repo.file_downloads(conn, found),
            )

    async def recent_releases(
        self, feed: str, project: str = "", limit: int = 0
    ) -> list[ReleaseEntry]:
        async with self._connection() as conn:
            return await repo.recent_releases(
                conn, feed, project, _bounded(limit, DEFAULT_RECENT, MAX_RECENT)
            )
