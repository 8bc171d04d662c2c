"""The ``billcraft`` command: the composition root that wires settings, database, domain
and faces together for each sub-command."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from app.config import Settings
from app.domain.errors import DomainError

if TYPE_CHECKING:
    from app.domain.billing import Billing

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def forwarded_allow_ips(settings: Settings) -> list[str]:
    """The peers whose X-Forwarded-For and X-Forwarded-Proto uvicorn believes: exactly
    BILLCRAFT_TRUSTED_PROXIES, as networks (uvicorn reads "10.0.0.1/8", host bits set, as a
    literal name that no peer matches, so each is normalized to "10.0.0.0/8")."""
    return [str(ipaddress.ip_network(proxy, strict=False)) for proxy in settings.trusted_proxies]


async def _with_billing(settings: Settings, work: Callable[[Billing], Awaitable[T]]) -> T:
    """Run ``work(billing)`` in one committed unit of work, on an up-to-date schema (a
    fresh data directory works without a separate ``db upgrade``)."""
    from app.db.engine import database_config
    from app.db.migrate import upgrade_async
    from app.domain.billing import Billing

    await upgrade_async(settings)
    config = database_config(settings)
    try:
        async with config.create_session_maker()() as session:
            result = await work(Billing(session, base_url=settings.base_url))
            await session.commit()
            return result
    finally:
        await config.get_engine().dispose()


def _run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except DomainError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)


@click.group()
@click.version_option(package_name="billcraft")
def main() -> None:
    """Billcraft: billing workspaces for agencies, with a REST API and an MCP server."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Apply pending migrations, then serve the web app, the REST API and MCP."""
    import uvicorn

    from app.db.migrate import upgrade
    from app.logs import configure_logging
    from app.server import create_app, served

    settings = _settings()
    configure_logging(settings.log_format)
    upgrade(settings)
    click.echo(f"Billcraft on http://{host}:{port}  (API docs: http://{host}:{port}/api/docs)", err=True)
    _say_browser(settings)
    # The client's address is the peer's unless the peer is a proxy named in
    # BILLCRAFT_TRUSTED_PROXIES: uvicorn's own default believes X-Forwarded-For from any
    # loopback peer, which lets anyone on the machine (or behind a local proxy that passes
    # the header on) choose the address that the per-address limits count.
    proxies = forwarded_allow_ips(settings)
    # Idle connections are kept 75 s, longer than common load balancers' 60 s and than an AI
    # assistant's pause between tool calls: with uvicorn's 5 s, a client reusing a connection
    # just as the server closes it sees a failed request.
    uvicorn.run(
        served(create_app(settings)),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        timeout_keep_alive=75,
    )


@main.command()
def worker() -> None:
    """The arq worker: background jobs and the overdue sweep (needs BILLCRAFT_REDIS_URL)."""
    from arq import run_worker

    from app.db.migrate import upgrade
    from app.logs import configure_logging
    from workers.main import worker_settings

    settings = _settings()
    if not settings.redis_url:
        raise click.UsageError("the worker needs BILLCRAFT_REDIS_URL (a Redis server to take jobs from)")
    configure_logging(settings.log_format)
    upgrade(settings)
    _say_browser(settings)
    run_worker(worker_settings(settings))


def _say_browser(settings: Settings) -> None:
    """Which browser prints the PDFs, or what to run to get one: said at start."""
    from app import browser

    found = browser.find(settings.chromium_path)
    if found is None:
        click.echo(f"PDFs: no browser found, so no PDF can be printed; run: {browser.install_command()}", err=True)
    else:
        click.echo(f"PDFs: printed by {found.describe()}", err=True)


@main.command()
def doctor() -> None:
    """Check every dependency (database, migrations, Redis, mail, browser, fonts) and say
    what to do about each one that is missing. Exits 1 when one is."""
    from rich.console import Console
    from rich.table import Table

    from app.doctor import everything

    checks = _run(everything(_settings()))
    table = Table("dependency", "status", "detail", "what to do", show_lines=False)
    for check in checks:
        colour = "green" if check.healthy else "red"
        table.add_row(check.name, f"[{colour}]{check.status}[/{colour}]", check.detail, check.fix)
    Console(width=200).print(table)
    missing = [c.name for c in checks if not c.healthy]
    if missing:
        click.echo(f"not ready: {', '.join(missing)}", err=True)
        sys.exit(1)
    click.echo("everything Billcraft needs is here", err=True)


@main.command("browser")
@click.option("--install", is_flag=True, help="Get a browser (and fonts) when the machine has none.")
def browser_command(install: bool) -> None:
    """Say which browser prints the PDFs; with --install, get one first if there is none
    (Playwright's download, else apt-get as root on Debian/Ubuntu, else the command to run)."""
    from app import browser

    settings = _settings()
    found = browser.ensure(settings.chromium_path) if install else browser.find(settings.chromium_path)
    if found is None:
        click.echo(f"no browser: run {browser.install_command()}", err=True)
        sys.exit(1)
    click.echo(found.describe())


@main.command("mcp")
@click.option("--print-tools", is_flag=True, help="Print the tool catalogue as JSON (mcp/tools.json) and exit.")
def mcp_command(print_tools: bool) -> None:
    """Serve MCP over stdio for the owner of BILLCRAFT_TOKEN."""
    import os

    from app.mcp.stdio import catalogue_json, tool_catalogue

    settings = _settings()
    if print_tools:
        click.echo(catalogue_json(asyncio.run(tool_catalogue(settings))), nl=False)
        return
    token = os.environ.get("BILLCRAFT_TOKEN", "").strip()
    if not token:
        raise click.UsageError("set BILLCRAFT_TOKEN to a token from `billcraft tokens create`")
    _run(_serve_mcp(settings, token))


async def _serve_mcp(settings: Settings, token: str) -> None:
    """The stdio MCP server's wiring, as ``create_app`` does it for HTTP: migrations, the
    database, the PDF printer, the job runner and the outbox's route to it."""
    from app.db.engine import database_config
    from app.db.migrate import upgrade_async
    from app.documents.pdf import InvoicePdfs
    from app.mcp.stdio import serve_stdio
    from app.ratelimit import MailLimits
    from workers.dispatch import background, route_outbox

    await upgrade_async(settings)
    db = database_config(settings)
    pdfs = InvoicePdfs(settings.data_dir / "pdf-cache", settings.chromium_path)
    jobs = background(settings, db, pdfs)
    route_outbox(db, jobs, MailLimits(settings))
    try:
        await serve_stdio(settings, token, db, pdfs, jobs)
    finally:
        await pdfs.close()
        await db.get_engine().dispose()


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from app.db.migrate import upgrade

    upgrade(_settings(), revision)
    click.echo("database is up to date")


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default="")
def users_create(email: str, password: str, name: str) -> None:
    """Create a user who can sign in and own workspaces."""

    async def work(billing: Billing) -> str:
        user = await billing.accounts.create_user(email, password, name)
        return f"created user {user.email} ({user.id})"

    click.echo(_run(_with_billing(_settings(), work)))


@main.group()
def tokens() -> None:
    """Personal API tokens."""


@tokens.command("create")
@click.option("--email", required=True, help="The user the token acts for.")
@click.option("--scopes", default="", help="Space-separated scopes; all scopes when omitted.")
@click.option("--name", default="CLI token")
@click.option("--expires-in-days", type=int, default=None)
def tokens_create(email: str, scopes: str, name: str, expires_in_days: int | None) -> None:
    """Create a token. It is shown once, alone on the last line."""

    async def work(billing: Billing) -> tuple[str, str]:
        user = await billing.accounts.by_email(email)
        token, plain = await billing.accounts.create_token(user, name, scopes or None, expires_in_days)
        return token.scopes, plain

    granted, plain = _run(_with_billing(_settings(), work))
    click.echo(f"token for {email} with scopes: {granted}", err=True)
    click.echo(plain)


@main.command()
@click.option("--invoices", "count", default=40, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--email", default="demo@billcraft.example", show_default=True)
@click.option("--password", default="billcraft-demo", show_default=True)
def demo(count: int, email: str, password: str) -> None:
    """Create a demo workspace with clients and invoices in every status."""
    from app.db.migrate import upgrade
    from app.demo import build_demo

    settings = _settings()
    upgrade(settings)
    summary = _run(build_demo(settings, count, email, password))
    click.echo(summary)


if __name__ == "__main__":
    main()
