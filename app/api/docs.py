"""The API's interactive documentation at ``/api/docs``: Swagger UI, served by Billcraft
itself, so the page works offline and under a content security policy that allows only
Billcraft's own origin (``DOCS_CSP`` in ``app/security_headers.py``).

Swagger UI's files come from the ``drf-spectacular-sidecar`` package, a monthly-updated
wheel of Swagger UI's distribution. Its ``__init__`` imports Django, which Billcraft does
not use: the files are found by the package's location alone, without importing it. They
are served with Billcraft's own starter script (``docs_static/``, no inline script) under a
path that holds the package's version and a digest of the starter, so they can be cached
for a year and a new release still reaches the browser at once. Swagger UI's OAuth redirect
page keeps one address across releases (``OAUTH2_REDIRECT``), as a client registers it.
"""

from __future__ import annotations

import hashlib
import importlib.util
from html import escape
from importlib.metadata import version
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.response import File
from litestar.static_files import create_static_files_router

SIDECAR = "drf-spectacular-sidecar"
OWN_DIR = Path(__file__).parent / "docs_static"
STARTER = "billcraft-docs.js"
DOCS = "/api/docs"
ASSETS_PREFIX = f"{DOCS}/assets"
OAUTH2_REDIRECT = f"{DOCS}/oauth2-redirect.html"
YEAR_SECONDS = 365 * 24 * 3600


def swagger_ui_dir() -> Path:
    """Swagger UI's distribution inside the sidecar package (found, not imported)."""
    spec = importlib.util.find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{SIDECAR} is not installed: /api/docs has no Swagger UI to serve")
    found = Path(next(iter(spec.submodule_search_locations))) / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist"
    if not (found / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"{SIDECAR} holds no swagger-ui-bundle.js under {found}")
    return found


def assets_path() -> str:
    """Where the assets are served: changes with the package's version and the starter."""
    digest = hashlib.sha256((OWN_DIR / STARTER).read_bytes()).hexdigest()[:10]
    return f"{ASSETS_PREFIX}/{version(SIDECAR)}-{digest}"


class SwaggerDocs(OpenAPIRenderPlugin):
    """Swagger UI from Billcraft's own assets: no CDN, no inline script or style. The page
    loads the OpenAPI document from its URL, as every client does; the plugin serves the
    assets it needs from the OpenAPI router (``receive_router``)."""

    def __init__(self) -> None:
        super().__init__(path="/docs", favicon="", style="")
        self.assets = assets_path()
        self.swagger_ui = swagger_ui_dir()

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(f"{openapi_schema['info']['title']} API")
        spec_url = escape(self.get_openapi_json_route(request))
        assets = escape(self.assets)
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<noscript>The API reference needs JavaScript; the OpenAPI document is at <a href="{spec_url}">{spec_url}</a>.</noscript>
<div id="swagger-ui" data-openapi-url="{spec_url}" data-oauth2-redirect-url="{OAUTH2_REDIRECT}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/{STARTER}"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve the assets under the OpenAPI router (``/api``), public and cached for a
        year, and the OAuth redirect page (with its script) at its lasting address."""
        if f"{router.path}{self.paths[0]}" != DOCS:
            raise RuntimeError(f"the API docs must be at {DOCS}, not {router.path}{self.paths[0]}")
        router.register(
            create_static_files_router(
                path=self.assets.removeprefix(router.path),
                directories=[OWN_DIR, self.swagger_ui],
                name="docs-assets",
                cache_control=CacheControlHeader(public=True, max_age=YEAR_SECONDS, immutable=True),
                include_in_schema=False,
            )
        )
        swagger_ui = self.swagger_ui

        @get(
            [f"{self.paths[0]}/oauth2-redirect.html", f"{self.paths[0]}/oauth2-redirect.js"],
            name="docs-oauth2-redirect",
            include_in_schema=False,
            sync_to_thread=False,
            cache_control=CacheControlHeader(no_cache=True),
        )
        def oauth2_redirect(request: Request[Any, Any, Any]) -> File:
            name = request.url.path.rsplit("/", 1)[-1]
            media_type = "text/html; charset=utf-8" if name.endswith(".html") else "text/javascript; charset=utf-8"
            return File(path=swagger_ui / name, media_type=media_type, content_disposition_type="inline")

        router.register(oauth2_redirect)
