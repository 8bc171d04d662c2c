"""Every setting of Billcraft, read from ``BILLCRAFT_*`` environment variables, in one place."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse

DEFAULT_RATE_LIMIT = "100/minute"
DEFAULT_MAIL_LIMIT_WORKSPACE = "200/hour"
DEFAULT_MAIL_LIMIT_RECIPIENT = "20/day"
DEFAULT_OAUTH_RATE_LIMIT = "30/minute"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"BILLCRAFT_{name}")
    return value if value not in (None, "") else default


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``, ``sqlite:///``) and
    give SQLAlchemy the async driver for each."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    redis_prefix: str
    secret_key: str
    base_url: str
    smtp_url: str | None
    chromium_path: str | None
    rate_limit: str
    mcp_tools: str
    log_format: str = "console"
    max_body_bytes: int = 1_048_576
    mail_from: str = "billing@localhost"
    bounce_secret: str | None = None
    # How long a worker may hold an email it is sending before another may take it over;
    # a send is cut off well before, so two never mail the same email at once.
    send_lease_seconds: float = 120.0
    # "off": this process runs no background jobs; a worker or another process does.
    jobs: str = "auto"
    # host:port of the Prometheus listener (app.metrics); unset, no metrics are served.
    metrics_address: str | None = None
    # Emails a workspace may queue in an hour, and one address may be sent in a day (by all
    # workspaces together): what one account can make Billcraft mail to strangers.
    mail_limit_workspace: str = DEFAULT_MAIL_LIMIT_WORKSPACE
    mail_limit_recipient: str = DEFAULT_MAIL_LIMIT_RECIPIENT
    # Requests per client address to the OAuth endpoints (registration, authorization, token).
    oauth_rate_limit: str = DEFAULT_OAUTH_RATE_LIMIT
    # Client ID metadata documents on loopback or private addresses (over http too): for
    # developing an MCP client on this machine, never on a server people sign up to.
    allow_local_client_metadata: bool = False
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDR blocks).
    trusted_proxies: tuple[str, ...] = ()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded(self) -> bool:
        """No Redis: jobs run in-process and limits are kept in memory."""
        return self.redis_url is None

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("DATA_DIR", "./var") or "./var").resolve()
        database_url = _env("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'billcraft.db'}"
        secret = _env("SECRET_KEY") or _persistent_secret(data_dir)
        mcp_tools = (_env("MCP_TOOLS", "all") or "all").lower()
        if mcp_tools not in {"all", "actions", "granular"}:
            raise ValueError("BILLCRAFT_MCP_TOOLS must be one of: all, actions, granular")
        base_url = (_env("BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
        jobs = (_env("JOBS", "auto") or "auto").lower()
        if jobs not in {"auto", "off"}:
            raise ValueError("BILLCRAFT_JOBS must be auto (the worker with Redis, else in-process) or off")
        return cls(
            data_dir=data_dir,
            database_url=normalize_database_url(database_url),
            redis_url=_env("REDIS_URL"),
            redis_prefix=_env("REDIS_PREFIX", "billcraft") or "billcraft",
            secret_key=secret,
            base_url=base_url,
            smtp_url=_env("SMTP_URL"),
            chromium_path=_env("CHROMIUM_PATH"),
            rate_limit=_env("RATE_LIMIT", DEFAULT_RATE_LIMIT) or DEFAULT_RATE_LIMIT,
            mcp_tools=mcp_tools,
            log_format=_env("LOG_FORMAT", "console") or "console",
            mail_from=_sender(_env("MAIL_FROM") or _default_sender(base_url)),
            bounce_secret=_env("BOUNCE_SECRET"),
            send_lease_seconds=float(_env("SEND_LEASE_SECONDS", "120") or 120),
            jobs=jobs,
            metrics_address=_metrics_address(_env("METRICS_ADDRESS")),
            mail_limit_workspace=_limit("MAIL_LIMIT_WORKSPACE", DEFAULT_MAIL_LIMIT_WORKSPACE),
            mail_limit_recipient=_limit("MAIL_LIMIT_RECIPIENT", DEFAULT_MAIL_LIMIT_RECIPIENT),
            oauth_rate_limit=_limit("OAUTH_RATE_LIMIT", DEFAULT_OAUTH_RATE_LIMIT),
            allow_local_client_metadata=_flag("ALLOW_LOCAL_CLIENT_METADATA"),
            trusted_proxies=_networks("TRUSTED_PROXIES"),
        )


def _limit(name: str, default: str) -> str:
    """A rate such as ``200/hour`` or ``20/day`` (the ``limits`` library's notation)."""
    value = _env(name, default) or default
    try:
        parse(value)
    except ValueError:
        raise ValueError(f"BILLCRAFT_{name} must be a rate such as {default}, not {value!r}") from None
    return value


def _flag(name: str) -> bool:
    value = (_env(name, "false") or "false").strip().lower()
    if value not in {"true", "false", "1", "0", "yes", "no"}:
        raise ValueError(f"BILLCRAFT_{name} must be true or false, not {value!r}")
    return value in {"true", "1", "yes"}


def _networks(name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDR blocks, each checked."""
    items = [item.strip() for item in (_env(name, "") or "").split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"BILLCRAFT_{name} holds {item!r}, which is not an IP address or CIDR block") from None
    return tuple(items)


def _metrics_address(value: str | None) -> str | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"BILLCRAFT_METRICS_ADDRESS must be host:port (such as 0.0.0.0:9100), not {value!r}")
    return f"{host or '127.0.0.1'}:{port}"


def _sender(address: str) -> str:
    """The one address every email comes from (and bounces return to): a bare address,
    never a name or a list, so that nothing else can ride along in the From header."""
    if not re.fullmatch(r"[^\s@<>,;:\\\"()\[\]]+@[A-Za-z0-9.-]+", address):
        raise ValueError(f"BILLCRAFT_MAIL_FROM must be one bare address such as billing@example.com, not {address!r}")
    return address


def _default_sender(base_url: str) -> str:
    host = urlsplit(base_url).hostname or ""
    if "." not in host or host.replace(".", "").isdigit():
        host = "localhost"
    return f"billing@{host}"


def _persistent_secret(data_dir: Path) -> str:
    """In embedded mode a secret is generated once and kept under the data directory, so
    sessions survive a restart without the user having to configure anything."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
