"""``/pypi/FEED/``: what a person who pasted the feed's URL into a browser needs, the index URL
for pip and uv and the upload URL for twine (ProGet answers the feed's root the same way)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from packyard.gateway.deps import AuthDep

router = APIRouter()


def feed_root_html(base_url: str, feed: str) -> str:
    base = base_url.rstrip("/")
    index, upload = f"{base}/pypi/{feed}/simple/", f"{base}/pypi/{feed}/legacy/"
    name, index, upload = escape(feed), escape(index), escape(upload)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>Feed {name}</title></head><body>\n"
        f"<h1>Feed {name}</h1>\n"
        f"<p>Index (pip, uv): <code>{index}</code><br>\n"
        f"<code>pip install --index-url {index} PROJECT</code></p>\n"
        f"<p>Upload (twine): <code>{upload}</code><br>\n"
        f"<code>twine upload --repository-url {upload} -u api -p KEY dist/*</code></p>\n"
        f'<p><a href="/feeds/{name}/">Browse the feed</a></p>\n'
        "</body></html>\n"
    )


@router.api_route("/pypi/{feed}/", methods=["GET", "HEAD"], include_in_schema=False)
async def feed_root(feed: str, request: Request, auth: AuthDep) -> Response:
    await auth.readable_feed(request, feed)
    return HTMLResponse(feed_root_html(str(request.base_url), feed))


@router.api_route("/pypi/{feed}", methods=["GET", "HEAD"], include_in_schema=False)
async def feed_root_without_slash(feed: str) -> Response:
    return RedirectResponse(f"/pypi/{feed}/", 301)
