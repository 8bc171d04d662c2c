"""The browser that prints invoice PDFs: which one Billcraft uses, whether it works, and how
a fresh machine gets one.

The choice, in order: ``BILLCRAFT_CHROMIUM_PATH``; Playwright's own Chromium when it has
been downloaded (``playwright install chromium``); else the system's headless shell or
Chromium (Debian's ``chromium-headless-shell``, ``chromium``).

``ensure()`` is what ``./run serve`` and ``./run billcraft worker`` call first: nothing when
a browser is there; else Playwright's download where the machine can reach it; else, as
root on Debian or Ubuntu, the distribution's headless shell and fonts through apt-get;
else one message naming the command to run. The fonts cover the scripts a client's name
may be written in (``FONT_PACKAGES``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The headless shell first: what Playwright itself runs headless; half the memory of the
# full browser and twice as fast to print (bench/).
SYSTEM_BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
# Debian/Ubuntu packages: the browser, then fonts for Latin, Greek, Cyrillic, Arabic,
# Hebrew and the CJK scripts (the document's font stack names them).
BROWSER_PACKAGES = ("chromium-headless-shell",)
BROWSER_PACKAGES_FALLBACK = ("chromium",)
FONT_PACKAGES = ("fonts-liberation2", "fonts-dejavu-core", "fonts-noto-core", "fonts-noto-cjk")
FALLBACK = (*BROWSER_PACKAGES_FALLBACK, *FONT_PACKAGES)
INSTALL_SECONDS = 900


@dataclass(frozen=True)
class Found:
    """A browser: its path (``None``: Playwright launches its own) and where it came from."""

    path: str | None
    source: str  # "configured", "playwright" or "system"

    def describe(self) -> str:
        where = self.path or playwright_chromium() or "Playwright's own Chromium"
        return f"{where} ({self.source})"


def playwright_chromium() -> str | None:
    """Playwright's own Chromium when it has been downloaded, else ``None`` (starts the
    Playwright driver briefly to ask it where that would be)."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:
        return None
    return path if path and os.path.exists(path) else None


def system_browser() -> str | None:
    return next(filter(None, (shutil.which(name) for name in SYSTEM_BROWSERS)), None)


def find(configured: str | None, *, own: str | None = None) -> Found | None:
    """The browser to print with, or ``None`` when the machine has none. ``own`` is
    Playwright's path when the caller already knows it (a running driver)."""
    if configured:
        return Found(configured, "configured") if os.path.exists(configured) else None
    own = own if own is not None else playwright_chromium()
    if own:
        return Found(None, "playwright")
    system = system_browser()
    return Found(system, "system") if system else None


def version(path: str) -> str:
    """``Chromium 156.0.8078.73`` and the like, or why it could not be asked."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(could not run it: {exc})"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else f"(exit code {done.returncode})"


def install_command() -> str:
    """The one command that gets a browser and the fonts on a machine like this one."""
    if _debian_like():
        packages = " ".join((*BROWSER_PACKAGES, *FONT_PACKAGES))
        prefix = "" if _root() else "sudo "
        return f"{prefix}apt-get install -y {packages}   (or: uv run playwright install --with-deps chromium)"
    return "uv run playwright install --with-deps chromium"


def _debian_like() -> bool:
    return Path("/etc/debian_version").exists() and shutil.which("apt-get") is not None


def _root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _say(message: str) -> None:
    print(f"billcraft: {message}", file=sys.stderr, flush=True)


def _run(command: list[str]) -> bool:
    _say("running " + " ".join(command))
    try:
        return subprocess.run(command, timeout=INSTALL_SECONDS, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        _say(f"{command[0]} failed: {exc}")
        return False


def _apt_install(packages: tuple[str, ...]) -> bool:
    env_ok = _run(["apt-get", "update", "-qq"])
    return env_ok and _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages])


def ensure(configured: str | None) -> Found | None:
    """A browser for the PDFs, installed if the machine has none and it can be: see the
    module's docstring. Returns what prints the PDFs now, or ``None`` (after saying what to
    run)."""
    found = find(configured)
    if found is not None or configured:
        if found is None:
            _say(f"BILLCRAFT_CHROMIUM_PATH={configured} does not exist: PDFs cannot be printed")
        return found
    _say("no browser to print PDFs with: getting one (once)")
    if _run([sys.executable, "-m", "playwright", "install", "chromium"]):
        found = find(None)
        if found is not None:
            return found
    # The distribution's packages: the headless shell where the release has it, else the
    # full browser; the fonts with either.
    if _debian_like() and _root() and (_apt_install((*BROWSER_PACKAGES, *FONT_PACKAGES)) or _apt_install(FALLBACK)):
        found = find(None)
        if found is not None:
            return found
    _say(f"PDFs cannot be printed until a browser is installed; run:\n    {install_command()}")
    return None
