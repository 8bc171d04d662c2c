"""No send is lost and none is doubled when things break: the worker killed with SIGKILL in
the middle of handing a mail to the SMTP server, and Redis gone at the moment of the send.

Real processes throughout: ``billcraft serve`` and ``billcraft worker`` on the machine's
Redis (through a TCP proxy where Redis must disappear), an aiosmtpd server, Chromium.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.conftest import OwnDatabase
from tests.processes import ProcessEnv, serve
from tests.smtp import smtp_server
from tests.tcpproxy import TcpProxy
from tests.workers.conftest import REDIS_URL, make_team, worker
from tests.workers.test_email_delivery import api, deliveries, new_invoice, wait_until

CLIENT = "ap@globex.example"
# Short enough that a crashed sender's claim runs out within the test, long enough that the
# cold start of Chromium fits in the send's share of it.
LEASE_SECONDS = "8"


def history_of(client: httpx.Client, invoice_uuid: str) -> list[str]:
    invoice = client.get(f"/invoices/{invoice_uuid}").json()
    return [h["action"] for h in invoice["history"]]


async def test_a_worker_killed_mid_send_delivers_the_email_exactly_once_after_restart(
    own_database: OwnDatabase, tmp_path: Path, redis_prefix: str
) -> None:
    team = await make_team(own_database)
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    with smtp_server() as (smtp_url, mailbox):
        settings = {
            "smtp_url": smtp_url,
            "redis_url": REDIS_URL,
            "redis_prefix": redis_prefix,
            "jobs": "auto",
            "send_lease_seconds": LEASE_SECONDS,
        }
        with serve(env, tmp_path / "serve.log", **settings) as base:
            client = api(base, team)
            invoice = new_invoice(client, CLIENT)
            mailbox.hold_next.set()  # the server will sit on the first message it is given
            with worker(env, tmp_path / "worker1.log", base_url=base, **settings) as first:
                assert client.post(f"/invoices/{invoice['uuid']}/send", json={}).status_code == 200
                assert mailbox.held.wait(60), "the worker never reached the SMTP DATA step"
                first.send_signal(signal.SIGKILL)
                first.wait(30)
            mailbox.release.set()
            assert mailbox.to(CLIENT) == [], "a message the server never confirmed was not delivered"
            claimed = deliveries(client, invoice["uuid"])[CLIENT]
            assert claimed["status"] == "sending"
            assert claimed["attempts"] == 1

            with worker(env, tmp_path / "worker2.log", base_url=base, **settings):
                delivered = mailbox.wait_for(CLIENT, seconds=90)
                wait_until(lambda: deliveries(client, invoice["uuid"])[CLIENT]["status"] == "sent", what="status sent")
                time.sleep(3)  # a duplicate, were there one, would be on its way by now
                assert len(mailbox.to(CLIENT)) == 1
                assert delivered[0]["Message-ID"] == mailbox.to(CLIENT)[0]["Message-ID"]
            done = deliveries(client, invoice["uuid"])[CLIENT]
            assert done["attempts"] == 2, "the crashed attempt, then the one that delivered"
            assert history_of(client, invoice["uuid"]).count("email_sent") == 1


async def test_mail_sent_while_redis_is_down_arrives_once_redis_is_back(
    own_database: OwnDatabase, tmp_path: Path, redis_prefix: str
) -> None:
    team = await make_team(own_database)
    env = ProcessEnv(database_url=own_database.url, data_dir=tmp_path / "data")
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    proxy.up()
    try:
        with smtp_server() as (smtp_url, mailbox):
            settings = {
                "smtp_url": smtp_url,
                "redis_url": f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}",
                "redis_prefix": redis_prefix,
                "jobs": "auto",
            }
            worker_log = tmp_path / "worker.log"
            with (
                serve(env, tmp_path / "serve.log", **settings) as base,
                worker(env, worker_log, base_url=base, **settings),
            ):
                wait_until(lambda: "overdue sweep" in worker_log.read_text(), what="the worker to be up")
                client = api(base, team)
                invoice = new_invoice(client, CLIENT)

                proxy.down()
                sent = client.post(f"/invoices/{invoice['uuid']}/send", json={})
                assert sent.status_code == 200, sent.text
                assert sent.json()["status"] == "sent"
                time.sleep(3)
                assert mailbox.to(CLIENT) == [], "without Redis the worker cannot have been told"
                assert deliveries(client, invoice["uuid"])[CLIENT]["status"] == "queued"

                proxy.up()
                mailbox.wait_for(CLIENT, seconds=90)
                wait_until(lambda: deliveries(client, invoice["uuid"])[CLIENT]["status"] == "sent", what="status sent")
                time.sleep(2)
                assert len(mailbox.to(CLIENT)) == 1
    finally:
        proxy.close()
