"""Structured logging: structlog for our own events, the standard library's records
(uvicorn, SQLAlchemy, Litestar) rendered by the same processors. ``BILLCRAFT_LOG_FORMAT``
is ``console`` (default, for people) or ``json`` (for log collectors).

Every line passes ``redact_secrets`` last: the access log would otherwise record the
capability tokens that travel in URLs (the client's invoice link ``/i/<token>``, an email's
delivery token ``?d=``, OAuth's ``code`` and ``state``) and any bearer token that ends up
in a message."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
_SECRETS = [
    (re.compile(r"(/i/)[A-Za-z0-9_-]{8,}"), rf"\1{REDACTED}"),
    (
        re.compile(
            r"([?&](?:d|token|code|state|access_token|refresh_token|code_verifier|client_secret|password)=)[^&\s\"']+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), rf"\1{REDACTED}"),
    (re.compile(r"\bbc[or]?_[A-Za-z0-9_-]{16,}"), REDACTED),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """The structlog processor: every string value of the event, tracebacks included."""
    return {key: redact(value) if isinstance(value, str) else value for key, value in event_dict.items()}


def configure_logging(log_format: str = "console", level: int = logging.INFO) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact_secrets,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
