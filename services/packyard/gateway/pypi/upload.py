"""POST /pypi/FEED/legacy/ — the upload API twine, uv publish, poetry, pdm and hatch speak.

Both ``/legacy/`` and ``/legacy`` answer directly: twine, poetry and pdm refuse to follow a
redirect on POST.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from packyard.gateway.auth.guards import audit_context
from packyard.gateway.deps import AuthDep, BackendsDep, SettingsDep
from packyard.gateway.page_cache import drop_pages
from packyard.gateway.pypi.publish import publish
from packyard.gateway.pypi.upload_body import read_upload_body

router = APIRouter()


@router.post("/pypi/{feed}/legacy/")
@router.post("/pypi/{feed}/legacy", include_in_schema=False)
async def upload(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep, settings: SettingsDep
) -> Response:
    # Authentication and permission are decided before a byte of the body is read.
    feed_info, principal = await auth.publishable_feed(request, feed)
    max_size = feed_info.max_file_size or settings.max_upload_size
    body = None
    try:
        body = await read_upload_body(
            request.headers.get("content-type"),
            request.stream(),
            max_size=max_size,
            spool_dir=settings.spool_dir or None,
        )
        result = await publish(
            backends,
            feed_info,
            principal.name,
            body,
            max_size=max_size,
            audit=audit_context(request, principal),
        )
    finally:
        if body is not None:
            body.discard()
    if result.created:
        drop_pages(request, feed, result.file.project)
    return PlainTextResponse("" if result.created else "File already exists, identical: no-op.\n")
