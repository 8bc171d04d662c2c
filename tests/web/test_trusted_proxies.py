"""Whose address the per-address sign-in limit counts (30 failures in 15 minutes), against
real ``billcraft serve`` processes on loopback: the peer's, whatever X-Forwarded-For says,
unless the peer is a proxy named in BILLCRAFT_TRUSTED_PROXIES; then the address that proxy
forwards."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import ONE_DATABASE, unique
from tests.processes import ProcessEnv, serve
from tests.web.conftest import form_to

pytestmark = ONE_DATABASE

PER_ADDRESS = 30


async def attempt(http: httpx.AsyncClient, forwarded_for: str | None) -> int:
    """A failed sign-in (an email of its own, so the per-email limit never counts) sent
    with ``forwarded_for`` as X-Forwarded-For; its status."""
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    page = await http.get("/signin", headers=headers)
    fields = form_to(page.text, "/signin")
    data = {**fields, "email": f"{unique('guess')}@example.com", "password": "wrong guess"}
    return (await http.post("/signin", data=data, headers=headers)).status_code


async def test_a_forwarded_address_from_an_untrusted_peer_does_not_escape_the_address_limit(
    web_env: ProcessEnv, tmp_path: Path
) -> None:
    """With no proxy trusted (the default), 31 failed sign-ins each claiming another
    X-Forwarded-For all count against the one loopback address: the 31st is refused."""
    with serve(web_env, tmp_path / "serve.log") as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            answers = [await attempt(http, f"203.0.113.{n + 1}") for n in range(PER_ADDRESS + 1)]
    assert answers == [401] * PER_ADDRESS + [429]


@pytest.mark.parametrize("trusted", ["127.0.0.1", "10.0.0.1/8,127.0.0.1/8"], ids=["address", "networks"])
async def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_counted(
    web_env: ProcessEnv, tmp_path: Path, trusted: str
) -> None:
    """With the peer trusted (an address, or networks written with host bits), 30 failures
    forwarded for one address lock that address; another forwarded address, and the proxy's
    own requests, still get to try."""
    with serve(web_env, tmp_path / "serve.log", trusted_proxies=trusted) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            answers = [await attempt(http, "203.0.113.7") for _ in range(PER_ADDRESS + 1)]
            assert answers == [401] * PER_ADDRESS + [429]
            assert await attempt(http, "198.51.100.9") == 401
            assert await attempt(http, None) == 401
