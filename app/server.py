"""``create_app()``: the Litestar application factory (plugins, routes, dependencies)."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.types import ASGIApp

from app.api.auth import bearer_auth
from app.api.clients import ClientController
from app.api.credit_notes import CreditNoteController, credit_invoice, record_refund
from app.api.docs import SwaggerDocs
from app.api.downloads import download
from app.api.einvoices import (
    credit_note_einvoice,
    get_received,
    invoice_einvoice,
    list_received,
    receive_einvoice,
    received_file,
    validate_invoice,
)
from app.api.invoices import InvoiceController
from app.api.openapi import finish_document
from app.api.problems import EXCEPTION_HANDLERS
from app.api.system import health, ready
from app.api.webhooks import bounce_webhook
from app.api.workspaces import WorkspaceController, all_stats
from app.config import Settings
from app.db.engine import database_config
from app.documents.pdf import InvoicePdfs
from app.domain.access import SCOPE_DESCRIPTIONS
from app.faces import provide_billing, provide_principal
from app.logs import configure_logging
from app.mcp.http import McpTransports
from app.metrics import http_metrics, serve_metrics
from app.oauth.routes import ROUTES as OAUTH_ROUTES
from app.oauth.server import OAuthServer
from app.ratelimit import MailLimits, OAuthRateLimit, RateLimit, RateLimitMiddleware, SignInThrottle
from app.request_ids import request_ids
from app.security_headers import security_headers
from app.web.public import ROUTES as PUBLIC_ROUTES
from app.web.routes import web_router
from app.web.setup import sessions, static_files, templates
from workers.dispatch import background, queue_name, route_outbox

API_DESCRIPTION = """Billcraft's REST API: workspaces, clients and invoices with an enforced lifecycle
(draft, sent, paid, overdue, cancelled). Authenticate with `Authorization: Bearer <token>`.
Errors are RFC 9457 problem details with a machine-readable `code`. Mutations accept an
`Idempotency-Key` header and `?dry_run=true`."""


def served(app: Litestar) -> ASGIApp:
    """What ``billcraft serve`` runs: the app inside its request ids and HTTP metrics, which
    wrap it whole so that they see every answer, the refusals of middleware included."""
    return request_ids(http_metrics(app))


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_format)
    db = database_config(settings)
    pdfs = InvoicePdfs(settings.data_dir / "pdf-cache", settings.chromium_path)
    jobs = background(settings, db, pdfs)
    route_outbox(db, jobs, MailLimits(settings))
    mcp = McpTransports(settings, db, pdfs)
    session_config, session_store = sessions(settings)
    rate_limit = RateLimit(settings)
    app = Litestar(
        route_handlers=[
            health,
            ready,
            WorkspaceController,
            ClientController,
            InvoiceController,
            CreditNoteController,
            credit_invoice,
            record_refund,
            invoice_einvoice,
            validate_invoice,
            credit_note_einvoice,
            receive_einvoice,
            list_received,
            get_received,
            received_file,
            all_stats,
            bounce_webhook,
            download,
            *PUBLIC_ROUTES,
            *mcp.route_handlers(),
            *OAUTH_ROUTES,
            web_router(),
            static_files(),
        ],
        lifespan=[mcp.lifespan],
        plugins=[SQLAlchemyPlugin(config=db)],
        middleware=[session_config.middleware, bearer_auth(), RateLimitMiddleware(rate_limit)],
        before_send=[security_headers(https=settings.base_url.startswith("https://"))],
        stores={"sessions": session_store},
        template_config=templates(),
        dependencies={
            "billing": Provide(provide_billing),
            "principal": Provide(provide_principal),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        state=State(
            {
                "settings": settings,
                "db_config": db,
                "oauth": OAuthServer(settings.base_url),
                "pdfs": pdfs,
                "signin_throttle": SignInThrottle(settings),
                "oauth_rate_limit": OAuthRateLimit(settings),
                "rate_limit": rate_limit,
            }
        ),
        on_startup=[jobs.start, lambda: serve_metrics(settings, queue_name(settings) if settings.redis_url else None)],
        on_shutdown=[jobs.stop, pdfs.close],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Billcraft",
            version="1.0.0",
            description=API_DESCRIPTION,
            path="/api",
            render_plugins=[SwaggerDocs()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", description="Personal API token"),
                    "oauth2": SecurityScheme(
                        type="oauth2",
                        description="OAuth 2.1 authorization code with PKCE (S256)",
                        flows=OAuthFlows(
                            authorization_code=OAuthFlow(
                                authorization_url=f"{settings.base_url}/oauth/authorize",
                                token_url=f"{settings.base_url}/oauth/token",
                                refresh_url=f"{settings.base_url}/oauth/token",
                                scopes=dict(SCOPE_DESCRIPTIONS),
                            )
                        ),
                    ),
                }
            ),
            security=[{"bearer": []}],
        ),
        logging_config=None,
        debug=False,
    )
    finish_document(app)
    return app
