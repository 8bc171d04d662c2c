"""The API's interactive documentation at ``/api/docs``: Swagger UI, served by Billcraft
itself, so the page works offline and under a content security policy that allows only
Billcraft's own origin (``DOCS_CSP`` in ``app/security_headers.py``).

Swagger UI's files come from the ``drf-spectacular-sidecar`` package, a monthly-updated
wheel of Swagger UI's distribution. Its ``__init__`` imports Django, which Billcraft does
not use: the files are found by the package's location alone, without importing it. They
are served with Billcraft's own starter script (``docs_static/``, no inline script) under a
path that holds the package's version and a digest of the starter, so they can be cached
for a year and a new release still reaches the browser at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
from html import escape
from importlib.metadata import version
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

SIDECAR = "drf-spectacular-sidecar"
OWN_DIR = Path(__file__).parent / "docs_static"
STARTER = "billcraft-docs.js"
ASSETS_PREFIX = "/api/docs/assets"
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

    def __init__(self, *, path: str = "/docs") -> None:
        super().__init__(path=path, favicon="", style="")
        self.assets = assets_path()
        self.directories = [OWN_DIR, swagger_ui_dir()]

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
<div id="swagger-ui" data-openapi-url="{spec_url}" data-oauth2-redirect-url="{assets}/oauth2-redirect.html"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/{STARTER}"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve the assets under the OpenAPI router (``/api``): public, cached for a year."""
        if not self.assets.startswith(f"{router.path}/"):
            raise RuntimeError(f"the docs assets ({self.assets}) must sit under the OpenAPI path ({router.path})")
        router.register(
            create_static_files_router(
                path=self.assets.removeprefix(router.path),
                directories=list(self.directories),
                name="docs-assets",
                cache_control=CacheControlHeader(public=True, max_age=YEAR_SECONDS, immutable=True),
                include_in_schema=False,
            )
        )
