import json
from tests.api.conftest import Caller

async def test_explore(app, caller: Caller, client) -> None:
    for r in app.routes:
        print(type(r).__name__, r.path, sorted(getattr(r, "methods", [])), getattr(r, "path_parameters", None))
    async def show(label, resp):
        print("==", label, resp.status_code, resp.headers.get("content-type"), resp.text[:600])
    base = {"title": "T", "items": [{"description": "d", "quantity": 1, "unit_price": 10}]}
    await show("ok", await caller.post("/invoices", base))
    await show("date", await caller.post("/invoices", {**base, "issue_date": "2026-02-30"}))
    await show("nan", await caller.post("/invoices", {**base, "items": [{"description": "d", "quantity": "NaN", "unit_price": 1}]}))
    await show("nan num", await client.post(caller.url("/invoices"), content=b'{"title":"T","items":[{"description":"d","quantity":NaN,"unit_price":1}]}', headers={**caller.headers, "content-type": "application/json"}))
    await show("5dp", await caller.post("/invoices", {**base, "items": [{"description": "d", "quantity": "1.00001", "unit_price": 1}]}))
    await show("1e400", await client.post(caller.url("/invoices"), content=b'{"title":"T","items":[{"description":"d","quantity":1e400,"unit_price":1}]}', headers={**caller.headers, "content-type": "application/json"}))
    await show("float", await caller.post("/invoices", {**base, "items": [{"description": "d", "quantity": 0.1, "unit_price": 0.2}]}))
    await show("emptydesc", await caller.post("/invoices", {**base, "items": [{"description": "", "quantity": 1, "unit_price": 1}]}))
    await show("blankdesc", await caller.post("/invoices", {**base, "items": [{"description": "  ", "quantity": 1, "unit_price": 1}]}))
    await show("unknown", await caller.post("/invoices", {**base, "bogus": 1}))
    await show("wrongtype", await caller.post("/invoices", {**base, "title": 5}))
    await show("wrongtype2", await caller.post("/invoices", {**base, "items": "x"}))
    await show("items201", await caller.post("/invoices", {**base, "items": [{"description": "d", "quantity": 1, "unit_price": 1}] * 201}))
    await show("malformed", await client.post(caller.url("/invoices"), content=b'{"title": ', headers={**caller.headers, "content-type": "application/json"}))
    await show("big", await client.post(caller.url("/invoices"), content=b'{"title": "' + b"a" * 1_100_000 + b'"}', headers={**caller.headers, "content-type": "application/json"}))
    await show("per_page0", await caller.get("/invoices", params={"per_page": 0}))
    await show("page abc", await caller.get("/invoices", params={"page": "abc"}))
    await show("status bogus", await caller.get("/invoices", params={"status": "bogus"}))
    await show("date_from bad", await caller.get("/invoices", params={"date_from": "2026-02-30"}))
    await show("client_uuid bad", await caller.get("/invoices", params={"client_uuid": "nope"}))
    await show("bad uuid path", await caller.get("/invoices/nope"))
    await show("noauth", await client.get(caller.url("/invoices")))
    await show("badauth", await client.get(caller.url("/invoices"), headers={"Authorization": "Bearer bc_nope"}))
    await show("noauth badbody", await client.post(caller.url("/invoices"), content=b"{", headers={"content-type": "application/json"}))
    await show("empty body", await client.post(caller.url("/invoices"), content=b"", headers={**caller.headers, "content-type": "application/json"}))
    await show("no body", await client.post(caller.url("/invoices"), headers=caller.headers))
    await show("docs", await client.get("/api/docs"))
    oa = (await client.get("/api/openapi.json")).json()
    print(sorted((p, sorted(m)) for p, m in oa["paths"].items()))
