"""The 1M-invoice rows, behind ``--scale``: whether a workspace's cost follows the workspace
and not the database, and stats over one workspace of 1M invoices.

Two PostgreSQL databases, built by the same set-based SQL from the same seed:

- the big one: the measured workspace and 999 others of 1,000 invoices each (1M invoices
  in 1,000 workspaces, ``--scale-workspaces`` and ``--scale-invoices``), plus one more
  workspace of 1M invoices on its own (``--scale-whale``; 0 leaves it out);
- the small one: the measured workspace alone, with the same rows.

The whale serves the stats-over-1M figure (against the hand-written aggregate) without a
third database of another 1M invoices to build, and it makes the list, get and stats pairs
stricter: the measured workspace of 1,000 sits in a database of 2M invoices, half of them
in one tenant, a skew that table-wide statistics see. Only the big database has it.

The owner, the token, and the measured and whale workspaces with their fully worked
invoices are made through the domain (``BenchDatabase.showcase``), so authentication and
membership are real; the other workspaces (each with an owner of its own), the clients
and the bulk invoices with their items, history and payments are inserted by SQL in
batches of ``BATCH`` invoices, in bench/data.py's mix of statuses. Every pseudo-random
choice is a hash of (seed, workspace ordinal, invoice number), and every id made by SQL
is made of the same, so the measured workspace's bulk rows are the same in both
databases (the domain's rows differ in their ids only)."""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import click
import httpx

from app.db.engine import database_config
from app.db.migrate import upgrade_async
from app.domain.access import Channel
from bench.api_pairs import checked_get
from bench.data import MIX, BenchDatabase, Workspace
from bench.figures import Bench, Figure
from bench.in_process import stats_pair
from bench.measure import median_time
from bench.server import running

SEED = 20_240_611
BATCH = 100_000
CLIENTS = 25  # per workspace
# Kinds of row, the second group of an id: ids are ordered by (workspace, kind, number).
USER, WORKSPACE, MEMBERSHIP, CLIENT, INVOICE, ITEM, EVENT, PAYMENT = range(1, 9)


@dataclass(frozen=True)
class Layout:
    workspaces: int  # in the big database, the measured one among them
    invoices: int  # over those workspaces
    whale: int  # invoices of the one big workspace (0: none)

    @property
    def per_workspace(self) -> int:
        return self.invoices // self.workspaces


def _id(kind: int, ordinal: str, number: str) -> str:
    """SQL for a deterministic id: 8 hex of the workspace ordinal, 4 of the kind, version
    and variant nibbles, 12 hex of the row's number (so batches append to the indexes)."""
    number_hex = f"lpad(to_hex({number}::bigint), 12, '0')"
    return f"(lpad(to_hex({ordinal}), 8, '0') || '-{kind:04x}-7000-8000-' || {number_hex})::uuid"


def _r(salt: int, modulo: int) -> str:
    """SQL for a pseudo-random integer in [0, modulo) of the row's key."""
    return f"((hashint8extended(k.key, {SEED + salt}) & 2147483647) % {modulo})"


def _status() -> str:
    cases, bound = [], 0
    for status, share in MIX:
        bound += round(share * 10_000)
        cases.append(f"WHEN {_r(1, 10_000)} < {bound} THEN '{status}'")
    return f"CASE {' '.join(cases)} END"


# One batch of invoices, planned once (every choice made), then inserted into four tables.
PLAN_TABLE = """
CREATE TEMP TABLE scale_plan (
  workspace_id uuid, ordinal int, n int, id uuid, client_id uuid, status text, currency text, issue date,
  due date, quantity int, price_minor bigint, subtotal bigint, tax bigint, title int, pay_days int, dtp int
)"""
PLAN = f"""
INSERT INTO scale_plan
SELECT w.id, w.ordinal, g.n, {_id(INVOICE, "w.ordinal", "g.n")}, {_id(CLIENT, "w.ordinal", _r(2, CLIENTS))},
       p.status, CASE WHEN {_r(3, 10)} < 8 THEN 'USD' ELSE 'EUR' END, p.issue,
       CASE p.status WHEN 'sent' THEN current_date + 1 + {_r(4, 59)}::int
                     WHEN 'overdue' THEN least(p.issue + 30, current_date - 1) ELSE p.issue + 30 END,
       p.quantity, p.price_minor, p.quantity * p.price_minor, p.quantity * p.price_minor / 10,
       {_r(6, 10_000)}, 1 + {_r(7, 44)}::int, {_r(8, 45)}::int
FROM unnest($1::int[], $2::int[], $3::int[]) AS b(ordinal, lo, hi)
JOIN scale_ws w USING (ordinal)
CROSS JOIN LATERAL generate_series(b.lo, b.hi) AS g(n)
CROSS JOIN LATERAL (SELECT w.ordinal::bigint * 4294967296 + g.n AS key) AS k
CROSS JOIN LATERAL (
  SELECT {_status()} AS status, current_date - {_r(5, 730)}::int AS issue,
         1 + {_r(9, 39)} AS quantity, (50 + {_r(10, 450)}) * 100 AS price_minor
) AS p"""
AT = "((issue + time '10:00') AT TIME ZONE 'UTC')"
INVOICES = f"""
INSERT INTO invoice (id, workspace_id, client_id, number, title, status, currency, issue_date, due_date, notes,
  tax_rate, subtotal_minor, tax_minor, total_minor, paid_minor, finalized_at, sent_at, paid_at, days_to_payment,
  cancelled_at, cancel_reason, public_token, created_at, updated_at)
SELECT id, workspace_id, client_id, CASE WHEN status <> 'draft' THEN 'S-' || lpad(n::text, 7, '0') END,
  'Retainer ' || title, status, currency, issue, due, '', '10', subtotal, tax, subtotal + tax,
  CASE WHEN status = 'paid' THEN subtotal + tax ELSE 0 END,
  CASE WHEN status <> 'draft' THEN {AT} END, CASE WHEN status IN ('sent', 'paid', 'overdue') THEN {AT} END,
  CASE WHEN status = 'paid' THEN {AT} + pay_days * interval '1 day' END, CASE WHEN status = 'paid' THEN dtp END,
  CASE WHEN status = 'cancelled' THEN {AT} END, CASE WHEN status = 'cancelled' THEN 'client cancelled' END,
  md5('{SEED}:token:' || ordinal || ':' || n), now(), now()
FROM scale_plan"""
ITEMS = f"""
INSERT INTO invoice_item (id, workspace_id, invoice_id, position, description, quantity, unit_price, tax_rate,
  amount_minor, tax_minor, created_at, updated_at)
SELECT {_id(ITEM, "ordinal", "n")}, workspace_id, id, 0, 'Development hours', quantity::text,
  (price_minor / 100) || '.00', NULL, subtotal, tax, now(), now()
FROM scale_plan"""
EVENTS = f"""
INSERT INTO invoice_event (id, workspace_id, invoice_id, action, to_status, actor_name, channel, created_at, updated_at)
SELECT {_id(EVENT, "ordinal", "n")}, workspace_id, id, 'create', 'draft', 'Ada', '{Channel.API.value}', now(), now()
FROM scale_plan"""
PAYMENTS = f"""
INSERT INTO payment (id, workspace_id, invoice_id, amount_minor, currency, payment_date, payment_method,
  created_at, updated_at)
SELECT {_id(PAYMENT, "ordinal", "n")}, workspace_id, id, subtotal + tax, currency,
  least(current_date, issue + pay_days), 'Wire transfer', now(), now()
FROM scale_plan WHERE status = 'paid'"""

# The other workspaces, ordinals 1 .. $1, each with an owner of its own.
OTHERS = [
    f"""INSERT INTO user_account (id, email, name, is_active, created_at, updated_at)
    SELECT {_id(USER, "o", "0")}, 'owner-' || o || '@scale.example', 'Owner ' || o, true, now(), now()
    FROM generate_series(1, $1::int) AS o""",
    f"""INSERT INTO workspace (id, name, slug, default_currency, timezone, locale, legal_name, address, tax_id, email,
      payment_instructions, number_pattern, payment_terms_days, created_at, updated_at)
    SELECT {_id(WORKSPACE, "o", "0")}, 'Agency ' || o, 'agency-' || o, 'USD', 'UTC', 'en_US', 'Agency ' || o || ' Ltd',
      '', '', 'billing@agency-' || o || '.example', '', 'INV-{{YYYY}}-{{SEQ:4}}', 30, now(), now()
    FROM generate_series(1, $1::int) AS o""",
    f"""INSERT INTO membership (id, workspace_id, user_id, role, created_at, updated_at)
    SELECT {_id(MEMBERSHIP, "o", "0")}, {_id(WORKSPACE, "o", "0")}, {_id(USER, "o", "0")}, 'owner', now(), now()
    FROM generate_series(1, $1::int) AS o""",
    f"INSERT INTO scale_ws SELECT o, {_id(WORKSPACE, 'o', '0')} FROM generate_series(1, $1::int) AS o",
]
CLIENT_ROWS = f"""
INSERT INTO client (id, workspace_id, name, email, phone, address_line1, address_line2, city, postal_code, region,
  country, tax_number, website, notes, created_at, updated_at)
SELECT {_id(CLIENT, "w.ordinal", "c")}, w.id, 'Client ' || c, 'ap@client-' || c || '.example', '', c || ' High Street',
  '', 'London', 'EC1A 1BB', '', 'GB', '', '', '', now(), now()
FROM scale_ws w CROSS JOIN generate_series(0, {CLIENTS - 1}) AS c"""


def _batches(sizes: dict[int, int]) -> list[tuple[list[int], list[int], list[int]]]:
    """(ordinals, first numbers, last numbers) of about ``BATCH`` invoices each; a big
    workspace is split over several batches."""
    batches: list[tuple[list[int], list[int], list[int]]] = []
    current: tuple[list[int], list[int], list[int]] = ([], [], [])
    room = BATCH
    for ordinal, size in sizes.items():
        n = 1
        while n <= size:
            take = min(room, size - n + 1)
            current[0].append(ordinal)
            current[1].append(n)
            current[2].append(n + take - 1)
            n += take
            room -= take
            if room == 0:
                batches.append(current)
                current, room = ([], [], []), BATCH
    if current[0]:
        batches.append(current)
    return batches


async def build(db: BenchDatabase, layout: Layout, big: bool) -> tuple[Workspace, Workspace | None]:
    """Migrate ``db`` and fill it: the measured workspace, and in the big database the
    others and the whale. Returns the measured workspace and the whale."""
    await upgrade_async(db.settings())
    engine = db.engine()
    try:
        measured = await db.showcase(engine, "Scale measured", "scale-measured")
        whale = await db.showcase(engine, "Scale whale", "scale-whale") if big and layout.whale else None
    finally:
        await engine.dispose()
    others = layout.workspaces - 1 if big else 0
    # Invoices to insert per workspace ordinal: the measured one is 0, the whale comes last.
    sizes = {0: layout.per_workspace - 1} | dict.fromkeys(range(1, others + 1), layout.per_workspace)
    known = [(0, measured[0])]
    if whale:
        sizes[layout.workspaces] = layout.whale - 1
        known.append((layout.workspaces, whale[0]))
    conn = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("CREATE TEMP TABLE scale_ws (ordinal int PRIMARY KEY, id uuid)")
        await conn.executemany("INSERT INTO scale_ws VALUES ($1, $2)", known)
        async with conn.transaction():
            for statement in OTHERS:
                await conn.execute(statement, others)
            await conn.execute(CLIENT_ROWS)
        await _invoices(conn, sizes)
        click.echo("  VACUUM ANALYZE", err=True)  # the planner's statistics, as after a day of autovacuum
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return (
        Workspace("scale-measured", measured[0], layout.per_workspace, measured[2]),
        Workspace("scale-whale", whale[0], layout.whale, whale[2]) if whale else None,
    )


async def _invoices(conn: asyncpg.Connection, sizes: dict[int, int]) -> None:
    await conn.execute(PLAN_TABLE)
    with click.progressbar(length=sum(sizes.values()), label="  invoices", file=sys.stderr) as bar:
        for ordinals, lo, hi in _batches(sizes):
            async with conn.transaction():
                await conn.execute("TRUNCATE scale_plan")
                await conn.execute(PLAN, ordinals, lo, hi)
                for statement in (INVOICES, ITEMS, EVENTS, PAYMENTS):
                    await conn.execute(statement)
            bar.update(sum(hi) - sum(lo) + len(lo))


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Side:
    """One of the two servers and the measured workspace in its database."""

    http: httpx.AsyncClient
    ws: Workspace

    def getter(self, path: str, items: int | None = None) -> Callable[[], Awaitable[None]]:
        return checked_get(self.http, path.format(slug=self.ws.slug, uuid=self.ws.showcase_uuid), items)


# (what, path): the path's {slug} and {uuid} are the measured workspace's and its showcase invoice's.
PAIRS = [
    ("REST list of 50 invoices", "/api/v1/workspaces/{slug}/invoices?per_page=50"),
    ("REST get of one invoice", "/api/v1/workspaces/{slug}/invoices/{uuid}"),
    ("REST stats of the workspace", "/api/v1/workspaces/{slug}/stats"),
]


async def measure(bench: Bench) -> None:
    """Build both databases, measure list, get and stats of the measured workspace on a
    server on each at once, then stats over the whale; drop them unless ``--keep``."""
    args = bench.args
    layout = Layout(args.scale_workspaces, args.scale_invoices, args.scale_whale)
    if layout.per_workspace < 60 or 0 < layout.whale < 60:
        raise click.UsageError("--scale-invoices, --scale-whale: a workspace needs at least 60 invoices")
    click.echo("== postgresql at scale ==", err=True)
    big = await _database(bench, "scale-big")
    small = await _database(bench, "scale-small")
    try:
        ws, whale = await _build(bench, big, layout, big=True)
        small_ws, _ = await _build(bench, small, layout, big=False)
        with (
            running(big, args.redis_url, bench.work_dir) as (big_base, _),
            running(small, args.redis_url, bench.work_dir) as (small_base, _),
        ):
            async with (
                httpx.AsyncClient(base_url=big_base, headers=_auth(big), timeout=120) as big_http,
                httpx.AsyncClient(base_url=small_base, headers=_auth(small), timeout=120) as small_http,
            ):
                await _pairs(bench, layout, Side(big_http, ws), Side(small_http, small_ws))
        if whale:
            await _whale_stats(bench, layout, big, whale)
    finally:
        for db in (big, small):
            if args.keep:
                click.echo(f"  kept: {db.url} (token {db.token})", err=True)
            else:
                await db.drop()


async def _build(bench: Bench, db: BenchDatabase, layout: Layout, big: bool) -> tuple[Workspace, Workspace | None]:
    started = time.perf_counter()
    ws, whale = await build(db, layout, big)
    total = (layout.per_workspace * layout.workspaces + layout.whale) if big else layout.per_workspace
    bench.step(f"built {total:,} invoices in {time.perf_counter() - started:.0f} s ({'big' if big else 'small'})")
    return ws, whale


async def _database(bench: Bench, name: str) -> BenchDatabase:
    db = await BenchDatabase.create("postgresql", bench.work_dir)
    db.data_dir = bench.work_dir / name  # each server its own sessions and PDF cache
    db.data_dir.mkdir(parents=True, exist_ok=True)
    return db


def _auth(db: BenchDatabase) -> dict[str, str]:
    return {"Authorization": f"Bearer {db.token}"}


async def _pairs(bench: Bench, layout: Layout, big: Side, small: Side) -> None:
    whale = f" and one of {layout.whale:,}" if layout.whale else ""
    where = (
        f"a workspace of {layout.per_workspace:,}; the database: "
        f"{layout.per_workspace * layout.workspaces:,} invoices in {layout.workspaces:,} workspaces{whale}"
    )
    for what, path in PAIRS:
        items = 50 if "per_page" in path else None
        ratio, a, b = await _alternate(bench, big.getter(path, items), small.getter(path, items))
        bench.add(
            Figure(
                f"{what} ({where})", "the same in a database holding only that workspace", "postgresql",
                layout.invoices, ratio, "x", 1.2, False, f"{a * 1000:.1f} vs {b * 1000:.1f} ms",
            )
        )  # fmt: skip


async def _alternate(
    bench: Bench, ours: Callable[[], Awaitable[None]], theirs: Callable[[], Awaitable[None]]
) -> tuple[float, float, float]:
    await ours()
    await theirs()
    return await bench.alternate(
        lambda: median_time(ours, bench.args.calls), lambda: median_time(theirs, bench.args.calls)
    )


async def _whale_stats(bench: Bench, layout: Layout, db: BenchDatabase, whale: Workspace) -> None:
    """Stats of the whale through the app's own engine, against the hand-written statement
    on it (the pair bench/in_process.py measures the smaller workspaces with)."""
    config = database_config(db.settings())
    try:
        detail = f"; one workspace among {layout.workspaces + 1:,}"
        await stats_pair(bench, "postgresql", db, config.get_engine(), config.create_session_maker(), whale, detail)
    finally:
        await config.get_engine().dispose()
