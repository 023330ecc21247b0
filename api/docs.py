"""``/docs`` (Swagger UI) and ``/redoc`` served from assets installed with the service.

FastAPI's own pages load their scripts and styles from a CDN, so they are blank offline (and
send every reader's browser to a third party). These pages use the Swagger UI and ReDoc
bundles shipped in the ``fastapi-offline`` wheel, mounted under :data:`ASSETS`; nothing they
load comes from outside the service (``tests/api/test_openapi.py`` follows every script and
stylesheet URL of both pages).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

__all__ = ["ASSETS", "install_docs"]

#: Where the bundled assets are served.
ASSETS = "/docs-assets"
_FILES = Path(fastapi_offline.__file__).resolve().parent / "static"


def install_docs(app: FastAPI, *, docs: str = "/docs", redoc: str = "/redoc") -> None:
    """Serve Swagger UI at ``docs`` and ReDoc at ``redoc`` (create ``app`` with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not installed too)."""
    app.mount(ASSETS, StaticFiles(directory=_FILES), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect = app.swagger_ui_oauth2_redirect_url or f"{docs}/oauth2-redirect"

    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect}",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route(docs, swagger, methods=["GET"], include_in_schema=False)
    app.add_api_route(redirect, swagger_redirect, methods=["GET"], include_in_schema=False)
    app.add_api_route(redoc, redoc_page, methods=["GET"], include_in_schema=False)
