"""The pairs measured over HTTP against a running bench server: the REST list of 50 and
the REST get of one invoice against their hand-written endpoints, a create with an
idempotency key against the same inserts hand-written, and `invoice` get over MCP against
REST get."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.data import Workspace
from bench.figures import Bench, Figure
from bench.measure import median_time, throughput

Call = Callable[[], Awaitable[None]]


def _http(bench: Bench, base: str, token: str) -> httpx.AsyncClient:
    """A client of the bench server with as many connections as the pair has callers."""
    limits = httpx.Limits(max_connections=bench.args.concurrency)
    return httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60)


def checked_get(http: httpx.AsyncClient, path: str, items: int | None = None) -> Call:
    """A GET that must answer 200 (and, for a list, ``items`` rows)."""

    async def call() -> None:
        answer = await http.get(path)
        if answer.status_code != 200 or (items is not None and len(answer.json()["items"]) != items):
            raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")

    return call


async def _throughputs(bench: Bench, stack: Call, reference: Call) -> tuple[float, float, float]:
    """Each side once (warm), then their throughputs in alternation: ratio, ours, theirs."""
    await stack()
    await reference()
    seconds, callers = bench.args.seconds, bench.args.concurrency
    return await bench.alternate(
        lambda: throughput(stack, seconds, callers), lambda: throughput(reference, seconds, callers)
    )


async def rest_list(bench: Bench, backend: str, base: str, token: str, ws: Workspace) -> None:
    """Throughput of the REST list of 50 against the reference endpoint."""
    async with _http(bench, base, token) as http:
        rows = min(50, ws.size)
        ratio, ours, theirs = await _throughputs(
            bench,
            checked_get(http, f"/api/v1/workspaces/{ws.slug}/invoices?per_page=50", rows),
            checked_get(http, f"/bench/reference/{ws.slug}/invoices", rows),
        )
    bench.add(
        Figure(
            "REST list of 50 invoices, whole stack", "hand-written endpoint: one raw query, msgspec",
            backend, ws.size, ratio, "x", 0.7, True,
            f"{ours:.0f} vs {theirs:.0f} req/s at {bench.args.concurrency} concurrent",
        )
    )  # fmt: skip


async def mcp_get(bench: Bench, backend: str, base: str, token: str, ws: Workspace) -> None:
    """Latency of `invoice` get over MCP against REST GET of the same invoice."""
    headers = {"Authorization": f"Bearer {token}"}
    arguments = {"action": "get", "company_slug": ws.slug, "uuid": str(ws.showcase_uuid)}
    path = f"/api/v1/workspaces/{ws.slug}/invoices/{ws.showcase_uuid}"
    async with (
        httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http,
        httpx2.AsyncClient(headers=headers, timeout=60) as http2,
        Client(streamable_http_client(f"{base}/api/mcp", http_client=http2)) as mcp,
    ):

        async def over_mcp() -> None:
            result = await mcp.call_tool("invoice", arguments)
            if result.is_error or not result.structured_content:
                raise RuntimeError(f"invoice get over MCP failed: {result}")

        async def over_rest() -> None:
            answer = await http.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path} answered {answer.status_code}")

        await over_mcp()
        await over_rest()
        ratio, ours, theirs = await bench.alternate(
            lambda: median_time(over_mcp, bench.args.calls), lambda: median_time(over_rest, bench.args.calls)
        )
    bench.add(
        Figure(
            "`invoice` get over MCP (Streamable HTTP)", "REST GET of the same invoice",
            backend, ws.size, ratio, "x", 1.3, False, f"{ours * 1000:.1f} vs {theirs * 1000:.1f} ms",
        )
    )  # fmt: skip


async def rest_get(bench: Bench, backend: str, base: str, token: str, ws: Workspace) -> None:
    """Throughput of REST GET of the showcase invoice against the reference endpoint."""
    async with _http(bench, base, token) as http:
        stack_path = f"/api/v1/workspaces/{ws.slug}/invoices/{ws.showcase_uuid}"
        reference_path = f"/bench/reference/{ws.slug}/invoices/{ws.showcase_uuid}"
        # The reference must answer what the stack does, or the pair compares unlike work.
        ours, theirs = (await http.get(stack_path)).json(), (await http.get(reference_path)).json()
        if ours != theirs:
            differ = sorted(k for k in ours if ours[k] != theirs.get(k))
            raise RuntimeError(f"the reference get answers differently from the stack in {differ}")
        ratio, rate, reference_rate = await _throughputs(
            bench, checked_get(http, stack_path), checked_get(http, reference_path)
        )
    bench.add(
        Figure(
            "REST get of one invoice, whole stack",
            "hand-written endpoint: one query (items, payments, history as JSON), msgspec",
            backend, ws.size, ratio, "x", 0.6, True,
            f"{rate:.0f} vs {reference_rate:.0f} req/s at {bench.args.concurrency} concurrent",
        )
    )  # fmt: skip


def create_body(client_uuid: str, n: int) -> dict[str, object]:
    """A draft with a client and two or three items (``n`` varies them)."""
    items = [
        {"description": "Design", "quantity": "3", "unit_price": "120"},
        {"description": "Development", "quantity": str(5 + n % 20), "unit_price": "150.50"},
    ]
    if n % 2:
        items.append({"description": "Testing", "quantity": "2.5", "unit_price": "95"})
    return {"title": f"Bench create {n}", "client_uuid": client_uuid, "tax_rate": "10", "items": items}


async def rest_create(bench: Bench, backend: str, base: str, token: str, ws: Workspace) -> None:
    """Throughput of REST create with a fresh idempotency key against the same inserts
    hand-written. Each call makes an invoice: run it after the pairs that read the workspace."""
    async with _http(bench, base, token) as http:
        showcase = (await http.get(f"/api/v1/workspaces/{ws.slug}/invoices/{ws.showcase_uuid}")).json()
        client_uuid = showcase["client"]["uuid"]
        made = itertools.count()

        def creator(path: str) -> Call:
            async def call() -> None:
                key = {"Idempotency-Key": str(uuid.uuid4())}
                answer = await http.post(path, json=create_body(client_uuid, next(made)), headers=key)
                if answer.status_code != 201:
                    raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.text[:300]}")

            return call

        ratio, rate, reference_rate = await _throughputs(
            bench, creator(f"/api/v1/workspaces/{ws.slug}/invoices"), creator(f"/bench/reference/{ws.slug}/invoices")
        )
    bench.add(
        Figure(
            "REST create with idempotency key, whole stack", "the same inserts hand-written, msgspec",
            backend, ws.size, ratio, "x", 0.5, True,
            f"{rate:.0f} vs {reference_rate:.0f} creates/s at {bench.args.concurrency} concurrent",
        )
    )  # fmt: skip
