"""How the web face plugs into the app: Jinja templates, static files, browser sessions."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig

from app.config import Settings
from app.sessions import SESSION_COOKIE
from app.web.format import install

HERE = Path(__file__).parent
SESSION_DAYS = 30


def templates() -> TemplateConfig[JinjaTemplateEngine]:
    def with_filters(engine: JinjaTemplateEngine) -> None:
        install(engine.engine)

    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=with_filters)


def static_files() -> Router:
    return create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False)


def sessions(settings: Settings) -> tuple[ServerSideSessionConfig, Store]:
    """Server-side sessions: in Redis when configured (every replica sees them), else in
    files under the data directory (they survive a restart)."""
    store: Store
    if settings.redis_url:
        store = RedisStore.with_client(url=settings.redis_url, namespace=f"{settings.redis_prefix}:sessions")
    else:
        store = FileStore(settings.data_dir / "sessions", create_directories=True)
    config = ServerSideSessionConfig(
        key=SESSION_COOKIE,
        max_age=SESSION_DAYS * 24 * 3600,
        secure=settings.base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
        exclude=[r"^/api/", r"^/health$", r"^/ready$", r"^/static/", r"^/\.well-known/", r"^/i/", r"^/c/"],
    )
    return config, store
