"""``/api/docs``: Swagger UI for the admin API, its assets served by the gateway itself.

FastAPI's default page loads Swagger UI from a public CDN, so it is blank wherever browsers
cannot reach the internet (private package repositories often run in closed networks). The
``swagger-ui-bundle-v2`` package ships the Swagger UI release (5.x, which reads the OpenAPI
3.1 document FastAPI writes); its files are served under ``/api/docs/assets/``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/api/docs"
ASSETS_URL = f"{DOCS_URL}/assets"


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve the docs page and its assets (create the app with ``docs_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(swagger_ui_path)), name="api-docs-assets")

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )

    app.add_api_route(DOCS_URL, swagger_ui, methods=["GET"], include_in_schema=False)
