"""A headless stand-in for the user's browser in the OAuth flow: it follows the sign-in and
consent pages of a served Billcraft with a cookie jar, as a person clicking would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


class _Forms(HTMLParser):
    """The forms of a page: their action and the inputs and buttons they carry."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and attributes.get("name"):
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "button" and self.forms and attributes.get("name"):
            buttons = self.forms[-1]["buttons"]
            assert isinstance(buttons, list)
            buttons.append((attributes["name"], attributes.get("value", "")))


def forms(html: str) -> list[dict[str, object]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass
class Browser:
    base: str
    email: str
    password: str
    decision: str = "approve"
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))
    pages: list[str] = field(default_factory=list)
    landed: str | None = None

    async def visit(self, url: str) -> str:
        """Open ``url`` and act on each page until the server sends us off-site (to the
        client's redirect URI); return that address."""
        response = await self.http.get(url)
        for _ in range(10):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if not target.startswith(self.base):
                    self.landed = target
                    return target
                response = await self.http.get(target)
                continue
            self.pages.append(response.text)
            response = await self._act(response)
        raise AssertionError("the OAuth pages did not finish")

    async def _act(self, page: httpx.Response) -> httpx.Response:
        assert page.status_code == 200, page.text
        form = forms(page.text)[0]
        fields = dict(form["fields"])  # type: ignore[call-overload]
        action = urljoin(str(page.url), str(form["action"]))
        if "password" in fields:
            fields.update(email=self.email, password=self.password)
        else:
            fields["decision"] = self.decision
        return await self.http.post(action, data=fields)


def code_and_state(redirected_to: str) -> dict[str, str]:
    query = parse_qs(urlsplit(redirected_to).query)
    return {k: v[0] for k, v in query.items()}
