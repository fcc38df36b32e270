"""PyPI's JSON API: /pypi/FEED/pypi/PROJECT/json and /pypi/FEED/pypi/PROJECT/VERSION/json."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from packaging.version import InvalidVersion, Version
from packyard_rpc.v1 import common_pb2

from packyard.common.errors import NotFound
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.page_cache import CachedPage, PageCache, page_cache
from packyard.gateway.pypi.offer import (
    feed_has_connectors,
    load_project,
    with_upstream_description,
)
from packyard.gateway.pypi.pages import json_api_releases
from packyard.gateway.pypi.supply import vulnerabilities_by_version, warehouse_vulnerability
from packyard.protocol.caching import etag_for
from packyard.protocol.json_api import render_project_json_api, render_release_json_api
from packyard.protocol.names import normalize
from packyard.protocol.simple import dumps_json

router = APIRouter()


@router.api_route("/pypi/{feed}/pypi/{project}/json", methods=["GET", "HEAD"])
async def project_json(
    feed: str, project: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    return await _answer(feed, project, None, request, backends, auth)


@router.api_route("/pypi/{feed}/pypi/{project}/{version}/json", methods=["GET", "HEAD"])
async def release_json(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    return await _answer(feed, project, version, request, backends, auth)


async def _answer(
    feed: str,
    project: str,
    version: str | None,
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
) -> Response:
    canonical = normalize(project)
    if canonical != project:
        tail = f"{version}/json" if version else "json"
        return RedirectResponse(f"/pypi/{feed}/pypi/{canonical}/{tail}", 301)
    await auth.readable_feed(request, feed)
    # Access was decided above for this request; only the document is cached. It holds
    # absolute URLs, so the base URL the client used is part of the key.
    base = str(request.base_url)
    pages = page_cache(request)
    key = (feed, canonical, f"json:{version or ''}:{base}")
    cached = await pages.load(key, lambda: _render(feed, canonical, version, base, backends, pages))
    return cached.response(request)


async def _render(
    feed: str,
    canonical: str,
    version: str | None,
    base: str,
    backends: BackendsDep,
    pages: PageCache,
) -> CachedPage:
    found = await with_upstream_description(
        backends, await load_project(backends, feed, canonical, pages)
    )
    # PEP 792: a quarantined project is not offered at all, as on PyPI.
    if found.status == common_pb2.PROJECT_STATUS_QUARANTINED or not found.versions:
        raise NotFound(f"Project '{canonical}' not found.")
    releases = json_api_releases(found, base)
    # The project's web page, as PyPI's project_url is; release_url (project_url + VERSION/)
    # is then the release's web page, which exists too.
    project_url = f"{base.rstrip('/')}/feeds/{quote(feed, safe='')}/projects/{canonical}/"
    display = found.display_name or canonical
    known = await vulnerabilities_by_version(backends, feed, canonical, list(found.versions))
    vulns = {v: [warehouse_vulnerability(x) for x in found_] for v, found_ in known.items()}
    if version is None:
        body = render_project_json_api(
            display,
            releases,
            last_serial=found.serial,
            project_url=project_url,
            vulnerabilities=vulns,
        )
    else:
        release = next((r for r in releases if _same_version(r.version, version)), None)
        if release is None:
            raise NotFound(f"Release '{version}' of '{canonical}' not found.")
        body = render_release_json_api(
            display,
            release,
            last_serial=found.serial,
            project_url=project_url,
            vulnerabilities=vulns,
        )
    data = dumps_json(body)
    # The document's bytes too: an advisory import or a feed policy changes it, not the serial.
    digest = hashlib.sha256(data).hexdigest()
    etag = etag_for("json", feed, canonical, version or "", found.serial, digest)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-PyPI-Last-Serial": str(found.serial)}
    # Only a hosted document can be renewed by its feed's change serial (page_cache.py).
    hosted_only = not await feed_has_connectors(backends, pages, feed)
    return CachedPage(data, "application/json", headers, renewable=hosted_only)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b
